;; out[b, :] += v[b, :] M for b < batch, in WebAssembly SIMD: the vector-matrix products
;; that take nearly all of a step's time (static/layers.js calls it when the browser runs
;; WebAssembly SIMD). M is row-major [rows, cols], cols a multiple of 4 (layers.js pads
;; it); v is [batch, rows], out [batch, cols]; every address a byte offset in memory.
;; Four rows of M go into out in one pass, so out is loaded and stored once for four
;; products rather than once for each: memory, not arithmetic, is what a pass waits on.
(module
  (memory (export "memory") 1)

  ;; out[0:width] += v0 m0 + v1 m1 + v2 m2 + v3 m3, m1..m3 the rows `stride` bytes apart
  (func $four (param $o i32) (param $m i32) (param $width i32) (param $stride i32)
      (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128)
    (local $j i32) (local $row i32)
    (loop $cols
      (local.set $row (i32.add (local.get $m) (local.get $j)))
      (v128.store (i32.add (local.get $o) (local.get $j))
        (f32x4.add
          (f32x4.add (v128.load (i32.add (local.get $o) (local.get $j)))
            (f32x4.add (f32x4.mul (local.get $v0) (v128.load (local.get $row)))
              (f32x4.mul (local.get $v1)
                (v128.load (i32.add (local.get $row) (local.get $stride))))))
          (f32x4.add
            (f32x4.mul (local.get $v2)
              (v128.load (i32.add (local.get $row) (i32.shl (local.get $stride) (i32.const 1)))))
            (f32x4.mul (local.get $v3)
              (v128.load (i32.add (local.get $row) (i32.mul (local.get $stride) (i32.const 3))))))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $cols (i32.lt_u (local.get $j) (local.get $width)))))

  (func $splat (param $v i32) (param $i i32) (result v128)
    (f32x4.splat (f32.load (i32.add (local.get $v) (i32.shl (local.get $i) (i32.const 2))))))

  (func (export "addProducts")
      (param $out i32) (param $v i32) (param $m i32)
      (param $batch i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $i i32) (local $stride i32) (local $vb i32) (local $step i32)
    (local $zero v128)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    ;; four rows of M at a time (the last one to three with zeros for the rest), each
    ;; four added to every row of the batch while they are in the cache
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $step (select (i32.const 4) (i32.const 1)
          (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows))))
        (local.set $b (i32.const 0))
        (block $batch_done
          (loop $batch_loop
            (br_if $batch_done (i32.ge_u (local.get $b) (local.get $batch)))
            (local.set $vb (i32.add (local.get $v) (i32.shl
              (i32.add (i32.mul (local.get $b) (local.get $rows)) (local.get $i)) (i32.const 2))))
            (if (i32.eq (local.get $step) (i32.const 4))
              (then
                (call $four
                  (i32.add (local.get $out) (i32.mul (local.get $b) (local.get $stride)))
                  (i32.add (local.get $m) (i32.mul (local.get $i) (local.get $stride)))
                  (local.get $stride) (local.get $stride)
                  (call $splat (local.get $vb) (i32.const 0))
                  (call $splat (local.get $vb) (i32.const 1))
                  (call $splat (local.get $vb) (i32.const 2))
                  (call $splat (local.get $vb) (i32.const 3))))
              (else
                (call $four
                  (i32.add (local.get $out) (i32.mul (local.get $b) (local.get $stride)))
                  (i32.add (local.get $m) (i32.mul (local.get $i) (local.get $stride)))
                  (local.get $stride) (i32.const 0)
                  (call $splat (local.get $vb) (i32.const 0))
                  (local.get $zero) (local.get $zero) (local.get $zero))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $batch_loop)))
        (local.set $i (i32.add (local.get $i) (local.get $step)))
        (br $rows_loop)))))
