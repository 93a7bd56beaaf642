// Every call the page makes to this server's API (docs/web-api.md), and nothing else: the
// page talks to the server only through `server` below.

// The interface, kept narrow so that another backend with the same six functions (one that
// writes in the browser) can stand in for this one. Strokes are [[dx, dy, eos], ...] rows;
// every function rejects with an Error whose message is the server's detail.
//   health()        -> {writing, reading, limits, alphabet, typography, styles, ...}
//   write(body)     -> {strokes, seed, lines, note}: body {text, bias, seed, style | hand}
//   sample(body)    -> {strokes, seed}: body {num_points, bias, seed, prime}
//   read(strokes)   -> {text}: what the recogniser reads of a line
//   styleLine()     -> {strokes, text, line}: a random IAM-OnDB line, as a style
//   paper(body)     -> the events, as they come: {progress: {lines, of}}, then {document}
//                      (an {error} event is thrown)

async function request(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let answer = null;
  try {
    answer = await response.json();
  } catch (err) {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer);
    throw new Error(detail);
  }
  return answer;
}

// the answer's JSON lines, one by one, as they come
async function* jsonLines(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), {stream: !done});
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (line) yield JSON.parse(line);
    }
    if (done) return;
  }
}

// POST /api/paper (docs/paper.md): its progress comes as a stream of JSON lines
async function* paper(body) {
  const response = await fetch("/api/paper", {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => null);
    throw new Error(answer && typeof answer.detail === "string" ? answer.detail
      : `the server answered ${response.status}`);
  }
  for await (const event of jsonLines(response)) {
    if (event.error) throw new Error(event.error);
    yield event;
  }
}

export const server = {
  health: () => request("api/health"),
  write: (body) => request("api/write", body),
  sample: (body) => request("api/sample", body),
  read: (strokes) => request("api/read", {strokes}),
  styleLine: () => request("api/style"),
  paper,
};

// Another backend with the same functions in the server's place, for every module that
// imports `server` (static/inbrowser.js, where the page runs alone)
export function standIn(backend) {
  Object.assign(server, backend);
}
