// Until the full web page lands (its own issue), `/` answers with a small page that lets an engineer
// set the first password or log in and then shows live status from the API, so the address that
// `gateway run` prints is useful from the first boot.
const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Field gateway</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}
input,button{font:inherit;padding:.3rem .6rem}.err{color:#b00}</style></head>
<body><h1>Field gateway</h1>
<form id="auth"><label id="label">Password</label> <input id="pw" type="password" autocomplete="current-password">
<button id="go">Log in</button> <span id="msg" class="err"></span></form>
<div id="main" hidden><p><button id="out">Log out</button> · API: <a href="/api/status">status</a>, <a href="/api/buffer">buffer</a>,
<a href="/api/uplink">uplink</a>, <a href="/api/config">config</a>, <a href="/metrics">metrics</a></p><pre id="status"></pre></div>
<script>
const $ = (id) => document.getElementById(id);
let setup = false;
async function refresh() {
  const s = await (await fetch("/api/session")).json();
  setup = !s.passwordSet;
  $("label").textContent = setup ? "Choose the admin password (8+ characters)" : "Password";
  $("go").textContent = setup ? "Set password" : "Log in";
  $("auth").hidden = s.loggedIn; $("main").hidden = !s.loggedIn;
  if (s.loggedIn) $("status").textContent = JSON.stringify(await (await fetch("/api/status")).json(), null, 2);
}
$("auth").onsubmit = async (e) => {
  e.preventDefault();
  const r = await fetch(setup ? "/api/setup" : "/api/login", { method: "POST", body: JSON.stringify({ password: $("pw").value }) });
  $("msg").textContent = r.ok ? "" : (await r.json()).error;
  refresh();
};
$("out").onclick = async () => { await fetch("/api/logout", { method: "POST" }); refresh(); };
refresh(); setInterval(() => { if (!$("main").hidden) refresh(); }, 5000);
</script></body></html>`;

export function landingPage(_req: Request, url: URL): Response | null {
  if (url.pathname !== "/" && url.pathname !== "/index.html") return null;
  return new Response(HTML, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'" } });
}
