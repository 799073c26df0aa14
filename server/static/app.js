/* GridFlow web page: upload a workbook, inspect it, run a simulation with live
   progress, show statistics and charts (drawn on <canvas>), download results.
   Plain JavaScript, no build step, no network beyond this server. */
"use strict";

(function () {
  const API = "api/v1";
  const $ = (id) => document.getElementById(id);
  const state = { token: null, workbook: null, job: null, results: null, events: null, poll: null };

  // --- token: ?token=... on the first visit, kept for this tab only ----------------------------
  try {
    const params = new URLSearchParams(window.location.search);
    if (params.get("token")) {
      sessionStorage.setItem("gridflow-token", params.get("token"));
      params.delete("token");
      const q = params.toString();
      history.replaceState(null, "", window.location.pathname + (q ? "?" + q : "") + window.location.hash);
    }
    state.token = sessionStorage.getItem("gridflow-token");
  } catch (e) { /* storage may be disabled */ }

  function withToken(url) {
    if (!state.token) return url;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "token=" + encodeURIComponent(state.token);
  }

  async function api(method, path, body) {
    const opts = { method: method, headers: {} };
    if (state.token) opts.headers["Authorization"] = "Bearer " + state.token;
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(API + path, opts);
    if (resp.status === 204) return null;
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const err = (data && data.error) || { code: "http_" + resp.status, message: resp.statusText };
      const e = new Error(err.message || ("HTTP " + resp.status));
      e.code = err.code;
      e.status = resp.status;
      throw e;
    }
    return data;
  }

  // --- formatting ------------------------------------------------------------------------------
  function fmt(x) {
    if (x === null || x === undefined || (typeof x === "number" && !isFinite(x))) return "—";
    if (typeof x !== "number") return String(x);
    const a = Math.abs(x);
    if (a === 0) return "0";
    if (a >= 1e15 || a < 1e-4) return x.toExponential(3);
    if (a >= 1000) return x.toLocaleString("en-US", { maximumFractionDigits: 0 });
    return x.toLocaleString("en-US", { maximumSignificantDigits: 4 });
  }
  function fmtInt(n) { return Number(n || 0).toLocaleString("en-US"); }
  function fmtSeconds(s) {
    if (s === null || s === undefined || !isFinite(s)) return "—";
    if (s < 60) return s.toFixed(1) + " s";
    const m = Math.floor(s / 60);
    return m + " min " + Math.round(s - 60 * m) + " s";
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function setMessage(id, text, isError) {
    const m = $(id);
    m.textContent = text || "";
    m.classList.toggle("error", !!isError);
  }
  function setState(s) { document.body.dataset.state = s; }
  function show(id, yes) { $(id).classList.toggle("hidden", !yes); }

  // --- server status -----------------------------------------------------------------------------
  async function checkHealth() {
    const pill = $("server-status");
    try {
      const opts = state.token ? { headers: { Authorization: "Bearer " + state.token } } : {};
      const r = await fetch("health", opts);
      const h = await r.json();
      if (!r.ok) throw new Error((h.error && h.error.message) || r.statusText);
      pill.textContent = "server " + h.version + " · " + h.jobs.running + " running, " + h.jobs.queued + " queued";
      pill.className = "pill ok";
    } catch (e) {
      pill.textContent = "server unreachable: " + e.message;
      pill.className = "pill bad";
    }
  }

  // --- workbooks ------------------------------------------------------------------------------------
  async function loadPrevious(selectId) {
    const sel = $("previous");
    try {
      const data = await api("GET", "/workbooks?limit=50");
      sel.textContent = "";
      sel.appendChild(el("option", "—")).value = "";
      for (const wb of data.workbooks) {
        const o = el("option", wb.filename + " (" + new Date(wb.uploaded_at).toLocaleString() + ")");
        o.value = wb.id;
        sel.appendChild(o);
      }
      if (selectId) sel.value = selectId;
    } catch (e) { /* the list is a convenience */ }
  }

  async function upload(file) {
    if (!file) return;
    setState("uploading");
    setMessage("upload-message", "Uploading and reading " + file.name + "…");
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const wb = await api("POST", "/workbooks", form);
      setMessage("upload-message", "Uploaded " + wb.filename + " (" + fmtInt(wb.size) + " bytes).");
      await loadPrevious(wb.id);
      showWorkbook(wb);
    } catch (e) {
      setState("error");
      setMessage("upload-message", "Upload refused: " + e.message, true);
    } finally {
      $("file").value = "";
    }
  }

  function showWorkbook(wb) {
    state.workbook = wb;
    const insp = wb.inspection;
    $("wb-name").textContent = wb.filename;
    $("wb-summary").textContent = insp.sheets.length + " sheet(s), " + fmtInt(insp.formula_count) + " formulas, " +
      insp.random_inputs.length + " random input(s), " + insp.outputs.length + " marked output(s)" +
      (insp.tables.length ? ", " + insp.tables.length + " table(s)" : "") + ".";
    const probs = $("problems");
    probs.textContent = "";
    for (const p of (insp.problems || []).concat(insp.warnings || [])) probs.appendChild(el("li", p));
    const itb = $("inputs-table").tBodies[0];
    itb.textContent = "";
    for (const inp of insp.random_inputs) {
      const tr = el("tr");
      tr.appendChild(el("td", inp.name));
      tr.appendChild(el("td", inp.address));
      const f = el("td", inp.function);
      f.title = inp.formula;
      tr.appendChild(f);
      itb.appendChild(tr);
    }
    const otb = $("outputs-table").tBodies[0];
    otb.textContent = "";
    for (const o of insp.outputs) {
      const tr = el("tr");
      tr.appendChild(el("td", o.name));
      tr.appendChild(el("td", o.address));
      tr.appendChild(el("td", typeof o.value === "number" ? fmt(o.value) : (o.value === null ? "—" : String(o.value)), "num"));
      otb.appendChild(tr);
    }
    const ub = $("unsupported-table").tBodies[0];
    ub.textContent = "";
    for (const u of insp.unsupported) {
      const tr = el("tr");
      tr.appendChild(el("td", u.function));
      tr.appendChild(el("td", u.cells.join(", ") + (u.count > u.cells.length ? " … (" + u.count + " cells)" : "")));
      ub.appendChild(tr);
    }
    $("unsupported-count").textContent = insp.unsupported.length;
    show("unsupported-box", insp.unsupported.length > 0);
    const sl = $("solver-list");
    sl.textContent = "";
    for (const m of insp.solver_models) {
      sl.appendChild(el("li", (m.sheet || "workbook") + ": " + (m.sense || "") + " " + (m.objective || "?") +
        " by changing " + (m.variables || "?") + ", " + m.constraints.length + " constraint(s)"));
    }
    $("solver-count").textContent = insp.solver_models.length;
    show("solver-box", insp.solver_models.length > 0);
    $("delete-workbook").disabled = false;
    show("inspect-section", true);
    show("run-section", true);
    show("results-section", false);
    $("run").disabled = !(insp.random_inputs.length > 0);
    setProgress(null);
    setState("inspected");
    loadJobs();
  }

  async function openWorkbook(id) {
    if (!id) return;
    try {
      showWorkbook(await api("GET", "/workbooks/" + id));
      setMessage("upload-message", "");
    } catch (e) {
      setMessage("upload-message", e.message, true);
    }
  }

  async function deleteWorkbook() {
    const wb = state.workbook;
    if (!wb || !window.confirm("Delete " + wb.filename + " and all its results?")) return;
    try {
      await api("DELETE", "/workbooks/" + wb.id);
      state.workbook = null;
      ["inspect-section", "run-section", "results-section", "jobs-section"].forEach((s) => show(s, false));
      $("delete-workbook").disabled = true;
      setMessage("upload-message", "Deleted " + wb.filename + ".");
      loadPrevious();
    } catch (e) {
      setMessage("upload-message", e.message, true);
    }
  }

  // --- jobs ---------------------------------------------------------------------------------------------
  async function loadJobs() {
    const wb = state.workbook;
    if (!wb) return;
    let data;
    try { data = await api("GET", "/jobs?limit=10&workbook_id=" + wb.id); } catch (e) { return; }
    const tb = $("jobs-table").tBodies[0];
    tb.textContent = "";
    for (const j of data.jobs) {
      const tr = el("tr");
      tr.appendChild(el("td", new Date(j.created_at).toLocaleString()));
      tr.appendChild(el("td", fmtInt(j.params.iterations), "num"));
      tr.appendChild(el("td", j.status + (j.error ? ": " + j.error.message : "")));
      const td = el("td");
      if (j.status === "done") {
        const b = el("button", "View", "secondary");
        b.type = "button";
        b.addEventListener("click", () => { state.job = j; showResults(j.id); });
        td.appendChild(b);
      } else if (["interrupted", "failed", "cancelled"].indexOf(j.status) >= 0) {
        const b = el("button", "Resume", "secondary");
        b.type = "button";
        b.addEventListener("click", async () => {
          try { follow(await api("POST", "/jobs/" + j.id + "/resume")); } catch (e) { setMessage("progress-text", e.message, true); }
        });
        td.appendChild(b);
      } else if (j.status === "running" || j.status === "queued") {
        const b = el("button", "Follow", "secondary");
        b.type = "button";
        b.addEventListener("click", () => follow(j));
        td.appendChild(b);
      }
      tr.appendChild(td);
      tb.appendChild(tr);
    }
    show("jobs-section", data.jobs.length > 0);
  }

  function parseOutputs(text) {
    return text.split(/[,;\n]+/).map((s) => s.trim()).filter((s) => s.length > 0);
  }

  async function run(ev) {
    ev.preventDefault();
    const wb = state.workbook;
    if (!wb) return;
    const body = {
      workbook_id: wb.id,
      iterations: parseInt($("iterations").value, 10),
      sampling: $("sampling").value,
      outputs: parseOutputs($("extra-outputs").value),
    };
    const seed = $("seed").value.trim();
    if (seed !== "") body.seed = parseInt(seed, 10);
    try {
      const job = await api("POST", "/jobs", body);
      follow(job);
    } catch (e) {
      setState("error");
      setMessage("progress-text", e.message, true);
    }
  }

  function stopFollowing() {
    if (state.events) { state.events.close(); state.events = null; }
    if (state.poll) { clearInterval(state.poll); state.poll = null; }
  }

  function follow(job) {
    stopFollowing();
    state.job = job;
    setState("running");
    $("run").disabled = true;
    $("cancel").disabled = false;
    show("results-section", false);
    setProgress(job.progress, job.status);
    const es = new EventSource(withToken(API + "/jobs/" + job.id + "/events"));
    state.events = es;
    es.addEventListener("progress", (e) => {
      const p = JSON.parse(e.data);
      setProgress(p, p.status);
    });
    const finish = (e) => {
      const data = JSON.parse(e.data);
      stopFollowing();
      finished(data.job, data.error);
    };
    ["done", "failed", "cancelled", "interrupted"].forEach((name) => es.addEventListener(name, finish));
    es.onerror = () => {
      // the stream dropped (server restart, proxy): fall back to polling the job
      if (es.readyState === EventSource.CLOSED && state.events === es) {
        state.events = null;
        pollJob(job.id);
      }
    };
  }

  function pollJob(id) {
    if (state.poll) clearInterval(state.poll);
    state.poll = setInterval(async () => {
      try {
        const j = await api("GET", "/jobs/" + id);
        setProgress(j.progress, j.status);
        if (["done", "failed", "cancelled", "interrupted"].indexOf(j.status) >= 0) {
          stopFollowing();
          finished(j, j.error);
        }
      } catch (e) {
        stopFollowing();
        finished(null, { message: e.message });
      }
    }, 1000);
  }

  function setProgress(p, status) {
    const bar = $("bar");
    if (!p) {
      bar.style.width = "0%";
      setMessage("progress-text", "");
      return;
    }
    const frac = p.total ? p.done / p.total : 0;
    bar.style.width = (100 * Math.min(1, frac)).toFixed(1) + "%";
    let text;
    if (status === "queued") text = "Queued: waiting for a free worker…";
    else {
      text = fmtInt(p.done) + " / " + fmtInt(p.total) + " iterations (" + (100 * frac).toFixed(0) + "%)";
      if (p.rate) text += " · " + fmtInt(Math.round(p.rate)) + " it/s";
      if (p.eta_s !== null && p.eta_s !== undefined && status === "running") text += " · ETA " + fmtSeconds(p.eta_s);
      if (p.phase && p.phase !== "simulating") text += " · " + p.phase;
    }
    setMessage("progress-text", text);
  }

  async function finished(job, error) {
    $("run").disabled = false;
    $("cancel").disabled = true;
    if (job && job.status === "done") {
      setProgress(job.progress, "done");
      setMessage("progress-text", "Done: " + fmtInt(job.progress.done) + " iterations in " +
        fmtSeconds(job.progress.elapsed_s) + ".");
      await showResults(job.id);
    } else {
      setState(job ? job.status : "error");
      setMessage("progress-text", (job ? "Job " + job.status : "Error") + (error ? ": " + error.message : "."),
        !job || job.status !== "cancelled");
    }
    loadJobs();
  }

  async function cancel() {
    const job = state.job;
    if (!job) return;
    try {
      await api("POST", "/jobs/" + job.id + "/cancel");
    } catch (e) {
      setMessage("progress-text", e.message, true);
    }
  }

  // --- results ------------------------------------------------------------------------------------------
  async function showResults(jobId) {
    let res;
    try {
      res = await api("GET", "/jobs/" + jobId + "/results");
    } catch (e) {
      setMessage("progress-text", "Could not read the results: " + e.message, true);
      return;
    }
    state.results = res;
    const sel = $("output-select");
    sel.textContent = "";
    res.outputs.forEach((o, i) => {
      const opt = el("option", o.name + " (" + o.address + ")");
      opt.value = String(i);
      sel.appendChild(opt);
    });
    $("run-info").textContent = fmtInt(res.iterations) + " iterations · " + res.sampling + " · seed " + res.seed +
      " · " + fmtSeconds(res.seconds) + (res.converged ? " · converged" : "");
    $("dl-report").href = withToken(res.links.report);
    $("dl-csv").href = withToken(res.links.csv);
    $("dl-parquet").href = withToken(res.links.parquet);
    show("results-section", true);
    renderOutput(0);
    setState("done");
  }

  function renderOutput(i) {
    const res = state.results;
    if (!res || !res.outputs[i]) return;
    const o = res.outputs[i];
    const st = o.statistics || {};
    const pc = st.percentiles || {};
    const rows = [["Mean", st.mean], ["Std dev", st.sd], ["Min", st.min], ["P5", pc.P5], ["P50", pc.P50],
      ["P95", pc.P95], ["Max", st.max], ["Skewness", st.skewness], ["Errors", st.errors]];
    const tb = $("stats-table").tBodies[0];
    tb.textContent = "";
    const head = el("tr");
    const vals = el("tr");
    for (const [k, v] of rows) {
      head.appendChild(el("th", k));
      vals.appendChild(el("td", k === "Errors" ? fmtInt(v) : fmt(v), "num"));
    }
    tb.appendChild(head);
    tb.appendChild(vals);
    $("dl-png").href = withToken(o.chart);
    drawHistogram($("hist-canvas"), o);
    drawCumulative($("cum-canvas"), o);
    drawTornado($("tornado-canvas"), o.sensitivity || []);
  }

  // --- charts -------------------------------------------------------------------------------------------
  function prepare(canvas, cssHeight) {
    const dpr = window.devicePixelRatio || 1;
    const w = parseInt(canvas.getAttribute("width"), 10);
    if (!canvas.dataset.logicalWidth) canvas.dataset.logicalWidth = String(w);
    const lw = parseInt(canvas.dataset.logicalWidth, 10);
    const lh = cssHeight || parseInt(canvas.dataset.logicalHeight || canvas.getAttribute("height"), 10);
    canvas.dataset.logicalHeight = String(lh);
    canvas.width = Math.round(lw * dpr);
    canvas.height = Math.round(lh * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, lw, lh);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, lw, lh);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx: ctx, w: lw, h: lh };
  }

  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const span = hi - lo;
    const raw = span / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return ticks;
  }

  function axes(ctx, box, xTicks, xScale, yTicks, yScale, yFmt) {
    ctx.strokeStyle = "#c9d0db";
    ctx.fillStyle = "#4a5568";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(box.l, box.t);
    ctx.lineTo(box.l, box.b);
    ctx.lineTo(box.r, box.b);
    ctx.stroke();
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of xTicks) {
      const x = xScale(t);
      if (x < box.l - 1 || x > box.r + 1) continue;
      ctx.beginPath(); ctx.moveTo(x, box.b); ctx.lineTo(x, box.b + 4); ctx.stroke();
      ctx.fillText(fmt(t), x, box.b + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yTicks) {
      const y = yScale(t);
      ctx.strokeStyle = "#eef1f5";
      ctx.beginPath(); ctx.moveTo(box.l + 1, y); ctx.lineTo(box.r, y); ctx.stroke();
      ctx.fillText((yFmt || fmt)(t), box.l - 6, y);
    }
  }

  function vline(ctx, box, x, color, label) {
    ctx.save();
    ctx.strokeStyle = color;
    ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(x, box.t); ctx.lineTo(x, box.b); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(label, x, box.t - 2);
    ctx.restore();
  }

  function noData(canvas, g, text) {
    g.ctx.fillStyle = "#667085";
    g.ctx.textAlign = "center";
    g.ctx.fillText(text, g.w / 2, g.h / 2);
    canvas.dataset.rendered = "1";
  }

  function drawHistogram(canvas, o) {
    const g = prepare(canvas);
    const ctx = g.ctx;
    const h = o.histogram;
    if (!h || !h.counts.length) return noData(canvas, g, "no numeric values");
    const box = { l: 52, r: g.w - 12, t: 18, b: g.h - 26 };
    const lo = h.edges[0], hi = h.edges[h.edges.length - 1];
    const span = hi > lo ? hi - lo : 1;
    const maxC = Math.max.apply(null, h.counts) || 1;
    const xs = (v) => box.l + (v - lo) / span * (box.r - box.l);
    const ys = (c) => box.b - c / maxC * (box.b - box.t);
    axes(ctx, box, niceTicks(lo, hi, 6), xs, niceTicks(0, maxC, 4), ys, fmtInt);
    ctx.fillStyle = "#2e75b6";
    for (let i = 0; i < h.counts.length; i++) {
      const x0 = xs(h.edges[i]), x1 = xs(h.edges[i + 1]);
      const y = ys(h.counts[i]);
      ctx.fillRect(x0 + 0.5, y, Math.max(1, x1 - x0 - 1), box.b - y);
    }
    const pc = (o.statistics && o.statistics.percentiles) || {};
    if (pc.P5 !== undefined) vline(ctx, box, xs(pc.P5), "#c00000", "P5");
    if (pc.P95 !== undefined) vline(ctx, box, xs(pc.P95), "#c00000", "P95");
    if (o.statistics && o.statistics.mean !== undefined) vline(ctx, box, xs(o.statistics.mean), "#1f4e78", "mean");
    canvas.dataset.rendered = "1";
  }

  function drawCumulative(canvas, o) {
    const g = prepare(canvas);
    const ctx = g.ctx;
    const c = o.cumulative;
    if (!c || !c.values.length) return noData(canvas, g, "no numeric values");
    const box = { l: 52, r: g.w - 12, t: 18, b: g.h - 26 };
    const lo = c.values[0], hi = c.values[c.values.length - 1];
    const span = hi > lo ? hi - lo : 1;
    const xs = (v) => box.l + (v - lo) / span * (box.r - box.l);
    const ys = (p) => box.b - p * (box.b - box.t);
    axes(ctx, box, niceTicks(lo, hi, 6), xs, [0, 0.25, 0.5, 0.75, 1], ys, (p) => (100 * p).toFixed(0) + "%");
    ctx.strokeStyle = "#2e75b6";
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let i = 0; i < c.values.length; i++) {
      const x = xs(c.values[i]), y = ys(c.probabilities[i]);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
    ctx.lineWidth = 1;
    const pc = (o.statistics && o.statistics.percentiles) || {};
    if (pc.P50 !== undefined) vline(ctx, box, xs(pc.P50), "#1f4e78", "P50");
    canvas.dataset.rendered = "1";
  }

  function drawTornado(canvas, sens) {
    const rows = sens.slice(0, 12);
    const g = prepare(canvas, Math.max(120, 36 + rows.length * 26));
    const ctx = g.ctx;
    if (!rows.length) return noData(canvas, g, "no sensitivity data (inputs do not vary)");
    ctx.font = "12px system-ui, sans-serif";
    let labelW = 0;
    for (const r of rows) labelW = Math.max(labelW, ctx.measureText(r.input).width);
    labelW = Math.min(labelW + 16, g.w * 0.4);
    const box = { l: labelW, r: g.w - 50, t: 10, b: g.h - 24 };
    const maxAbs = Math.max(0.05, Math.max.apply(null, rows.map((r) => Math.abs(r.rank_correlation || 0))));
    const lim = Math.min(1, Math.ceil(maxAbs * 10) / 10);
    const xs = (v) => box.l + (v + lim) / (2 * lim) * (box.r - box.l);
    const zero = xs(0);
    const rowH = (box.b - box.t) / rows.length;
    ctx.strokeStyle = "#c9d0db";
    ctx.fillStyle = "#4a5568";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(-lim, lim, 4)) {
      const x = xs(t);
      ctx.beginPath(); ctx.moveTo(x, box.t); ctx.lineTo(x, box.b); ctx.stroke();
      ctx.fillText(t.toFixed(2), x, box.b + 5);
    }
    rows.forEach((r, i) => {
      const v = r.rank_correlation || 0;
      const y = box.t + i * rowH + rowH * 0.18;
      const hgt = rowH * 0.64;
      ctx.fillStyle = v < 0 ? "#c00000" : "#2e75b6";
      const x = xs(v);
      ctx.fillRect(Math.min(x, zero), y, Math.max(1, Math.abs(x - zero)), hgt);
      ctx.fillStyle = "#1d2330";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillText(r.input, box.l - 8, y + hgt / 2);
      ctx.textAlign = v < 0 ? "right" : "left";
      ctx.fillStyle = "#4a5568";
      ctx.fillText(v.toFixed(2), v < 0 ? Math.min(x, zero) - 4 : Math.max(x, zero) + 4, y + hgt / 2);
    });
    ctx.strokeStyle = "#1d2330";
    ctx.beginPath(); ctx.moveTo(zero, box.t); ctx.lineTo(zero, box.b); ctx.stroke();
    canvas.dataset.rendered = "1";
  }

  // --- wiring ---------------------------------------------------------------------------------------------
  function init() {
    const drop = $("drop");
    $("file").addEventListener("change", (e) => upload(e.target.files[0]));
    ["dragenter", "dragover"].forEach((n) => drop.addEventListener(n, (e) => {
      e.preventDefault(); drop.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((n) => drop.addEventListener(n, (e) => {
      e.preventDefault(); drop.classList.remove("over");
    }));
    drop.addEventListener("drop", (e) => {
      if (e.dataTransfer && e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
    });
    $("previous").addEventListener("change", (e) => openWorkbook(e.target.value));
    $("delete-workbook").addEventListener("click", deleteWorkbook);
    $("run-form").addEventListener("submit", run);
    $("cancel").addEventListener("click", cancel);
    $("output-select").addEventListener("change", (e) => renderOutput(parseInt(e.target.value, 10)));
    checkHealth();
    setInterval(checkHealth, 15000);
    loadPrevious();
    document.body.dataset.ready = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
