;; out[b, :] += v[b, :] M for b < batch, in WebAssembly SIMD: the vector-matrix products
;; that take nearly all of a step's time (static/layers.js calls it when the browser runs
;; WebAssembly SIMD). M is row-major [rows, cols], cols a multiple of 16 (layers.js pads
;; it); v is [batch, rows], out [batch, cols]; every address a byte offset in memory.
;; A row of M is read once for the whole batch, and a zero entry of v skips its row.
(module
  (memory (export "memory") 1)
  (func (export "addProducts")
      (param $out i32) (param $v i32) (param $m i32)
      (param $batch i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $b i32) (local $j i32) (local $row i32) (local $o i32)
    (local $vi f32) (local $vv v128) (local $stride i32)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $row (i32.add (local.get $m) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $b (i32.const 0))
        (block $batch_done
          (loop $batch_loop
            (br_if $batch_done (i32.ge_u (local.get $b) (local.get $batch)))
            (local.set $vi (f32.load (i32.add (local.get $v) (i32.shl
              (i32.add (i32.mul (local.get $b) (local.get $rows)) (local.get $i)) (i32.const 2)))))
            (if (f32.ne (local.get $vi) (f32.const 0))
              (then
                (local.set $vv (f32x4.splat (local.get $vi)))
                (local.set $o (i32.add (local.get $out) (i32.mul (local.get $b) (local.get $stride))))
                (local.set $j (i32.const 0))
                (loop $cols_loop
                  (v128.store (i32.add (local.get $o) (local.get $j))
                    (f32x4.add (v128.load (i32.add (local.get $o) (local.get $j)))
                      (f32x4.mul (local.get $vv) (v128.load (i32.add (local.get $row) (local.get $j))))))
                  (v128.store offset=16 (i32.add (local.get $o) (local.get $j))
                    (f32x4.add (v128.load offset=16 (i32.add (local.get $o) (local.get $j)))
                      (f32x4.mul (local.get $vv) (v128.load offset=16 (i32.add (local.get $row) (local.get $j))))))
                  (v128.store offset=32 (i32.add (local.get $o) (local.get $j))
                    (f32x4.add (v128.load offset=32 (i32.add (local.get $o) (local.get $j)))
                      (f32x4.mul (local.get $vv) (v128.load offset=32 (i32.add (local.get $row) (local.get $j))))))
                  (v128.store offset=48 (i32.add (local.get $o) (local.get $j))
                    (f32x4.add (v128.load offset=48 (i32.add (local.get $o) (local.get $j)))
                      (f32x4.mul (local.get $vv) (v128.load offset=48 (i32.add (local.get $row) (local.get $j))))))
                  (local.set $j (i32.add (local.get $j) (i32.const 64)))
                  (br_if $cols_loop (i32.lt_u (local.get $j) (local.get $stride))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $batch_loop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows_loop)))))
