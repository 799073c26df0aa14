/* GridFlow custom functions: the runtime part (udfs/js/functions_runtime.js).
 *
 * Every GF.* call is queued and sent to the local GridFlow server in batches
 * (one POST per recalculation burst instead of one per cell):
 *
 *   POST /api/v1/addin/functions/call
 *   {"client": "Office.js", "version": ..., "workbook": "Book1.xlsx", "job_id": null,
 *    "calls": [{"function": "NORMAL", "args": [0.03, 0.01, []],
 *               "address": "Sheet1!B2", "parameter_addresses": null}, ...]}
 *   -> {"results": [{"value": 0.03} | {"error": {"code": "#VALUE!", "message": "..."}}, ...]}
 *
 * Property functions (GF.NAME, GF.TRUNCATE...) are answered here without the
 * server: they return a token, "GF.TRUNCATE[0,1]", that the distribution
 * they are nested in sends back.  GF.PROGRESS streams a job's progress.
 */
(function (root) {
  "use strict";

  var CALL_PATH = "/api/v1/addin/functions/call";
  var BATCH_DELAY_MS = 15;
  var MAX_BATCH = 500;
  var RETRIES = 2;
  var MAX_BODY = 900 * 1024;

  function storage() {
    try { return root.localStorage || null; } catch (e) { return null; }
  }

  function setting(key, fallback) {
    var s = storage();
    var v = s ? s.getItem("gridflow:" + key) : null;
    return v === null || v === undefined || v === "" ? fallback : v;
  }

  function serverBase() {
    var configured = root.GRIDFLOW_SERVER || setting("server", "");
    if (configured) return String(configured).replace(/\/+$/, "");
    return root.location && root.location.origin && root.location.origin !== "null" ? root.location.origin : "";
  }

  function headers(json) {
    var h = {};
    if (json) h["Content-Type"] = "application/json";
    var token = setting("token", "");
    if (token) h["Authorization"] = "Bearer " + token;
    return h;
  }

  function documentName() {
    try {
      var url = root.Office && root.Office.context && root.Office.context.document && root.Office.context.document.url;
      if (url) {
        var parts = String(url).split(/[\\/]/);
        return decodeURIComponent(parts[parts.length - 1].split("?")[0]) || null;
      }
    } catch (e) { /* no document yet */ }
    return null;
  }

  function workbookOf(address) {
    // "[Book1.xlsx]Sheet1!B2" or "'[Book 1.xlsx]My sheet'!B2"
    var m = /^'?\[([^\]]+)\]/.exec(address || "");
    return m ? m[1] : documentName();
  }

  function lastJob(workbook) {
    var s = storage();
    if (!s) return null;
    return (workbook && s.getItem("gridflow:lastJob:" + workbook)) || s.getItem("gridflow:lastJob") || null;
  }

  var ERROR_CODES = {
    "#VALUE!": "invalidValue", "#N/A": "notAvailable", "#DIV/0!": "divisionByZero",
    "#NUM!": "invalidNumber", "#NULL!": "nullReference", "#NAME?": "invalidName", "#REF!": "invalidReference"
  };

  function excelError(code, message) {
    var CF = root.CustomFunctions;
    if (!CF || !CF.Error) {
      var e = new Error((code || "#VALUE!") + " " + (message || ""));
      e.code = code;
      return e;
    }
    var kind = ERROR_CODES[code] || "invalidValue";
    var ec = CF.ErrorCode && CF.ErrorCode[kind] !== undefined ? CF.ErrorCode[kind] : kind;
    return new CF.Error(ec, String(message || code || "error").slice(0, 255));
  }

  function jsonable(v) {
    if (v === undefined) return null;
    if (typeof v === "number" && !isFinite(v)) return null;
    if (Array.isArray(v)) return v.map(jsonable);
    if (v !== null && typeof v === "object") {
      // an Excel error or data-type value given to an "any" parameter
      if (v.type === "Error" || v.errorType) return "#VALUE!";
      if (v.basicValue !== undefined) return jsonable(v.basicValue);
      return null;
    }
    return v;
  }

  var queue = [];
  var timer = null;

  function post(body, attempt) {
    return root.fetch(serverBase() + CALL_PATH, {
      method: "POST", headers: headers(true), body: JSON.stringify(body), cache: "no-store"
    }).then(function (r) {
      if (r.status >= 500 && attempt < RETRIES) {
        return new Promise(function (res) { setTimeout(res, 200 * (attempt + 1)); })
          .then(function () { return post(body, attempt + 1); });
      }
      return r.json().then(function (data) {
        if (!r.ok) {
          var msg = data && data.error ? data.error.message : ("HTTP " + r.status);
          throw excelError("#VALUE!", "GridFlow server: " + msg);
        }
        return data;
      });
    }, function (err) {
      if (attempt < RETRIES) {
        return new Promise(function (res) { setTimeout(res, 300 * (attempt + 1)); })
          .then(function () { return post(body, attempt + 1); });
      }
      throw excelError("#N/A", "GridFlow server not reachable at " + (serverBase() || "this page's origin") +
        ": start it with 'gridflow serve'");
    });
  }

  function flush() {
    timer = null;
    while (queue.length) {
      var batch = queue.splice(0, MAX_BATCH);
      send(batch);
    }
  }

  function send(batch) {
    var first = batch[0];
    var workbook = workbookOf(first.address);
    var body = {
      client: "Office.js", version: GridFlowFunctions.version, workbook: workbook,
      job_id: lastJob(workbook),
      calls: batch.map(function (c) {
        return { "function": c.id, args: c.args, address: c.address, parameter_addresses: c.parameterAddresses };
      })
    };
    if (batch.length > 1 && JSON.stringify(body).length > MAX_BODY) {
      // the server refuses request bodies over 1 MB: split big batches (large ranges)
      var half = Math.ceil(batch.length / 2);
      send(batch.slice(0, half));
      send(batch.slice(half));
      return;
    }
    post(body, 0).then(function (data) {
      var results = (data && data.results) || [];
      batch.forEach(function (c, i) {
        var r = results[i];
        if (!r) c.reject(excelError("#VALUE!", "GridFlow server: no result"));
        else if (r.error) c.reject(excelError(r.error.code, r.error.message));
        else c.resolve(r.value);
      });
    }, function (err) {
      batch.forEach(function (c) { c.reject(err); });
    });
  }

  function call(id, args, invocation) {
    return new Promise(function (resolve, reject) {
      queue.push({
        id: id, args: jsonable(args), resolve: resolve, reject: reject,
        address: invocation && invocation.address ? invocation.address : null,
        parameterAddresses: invocation && invocation.parameterAddresses ? invocation.parameterAddresses : null
      });
      if (queue.length >= MAX_BATCH) {
        if (timer) { clearTimeout(timer); }
        flush();
      } else if (!timer) {
        timer = setTimeout(flush, BATCH_DELAY_MS);
      }
    });
  }

  function token(id, args) {
    // same text as udfs.core.property_token: GF.NAME["Rent growth"]
    var vals = jsonable(args).slice();
    while (vals.length && (vals[vals.length - 1] === null)) vals.pop();
    return "GF." + id + JSON.stringify(vals);
  }

  function describeJob(j) {
    var p = j.progress || {};
    if (j.status === "done") {
      return "done: " + (p.done || 0).toLocaleString("en-US") + " iterations in " + (p.elapsed_s || 0).toFixed(1) + " s";
    }
    if (j.status === "running") {
      return "running " + Math.round((p.fraction || 0) * 100) + "% (" + (p.done || 0).toLocaleString("en-US") + "/" +
        (p.total || 0).toLocaleString("en-US") + ")";
    }
    return j.status + (j.error && j.error.message ? ": " + j.error.message : "");
  }

  function progress(jobId, invocation) {
    var stopped = false;
    var handle = null;
    invocation.onCanceled = function () { stopped = true; if (handle) clearTimeout(handle); };
    function again(ms) { if (!stopped) handle = setTimeout(tick, ms); }
    function tick() {
      var id = jobId || lastJob(documentName());
      if (!id) { invocation.setResult("no simulation yet"); again(2000); return; }
      root.fetch(serverBase() + "/api/v1/jobs/" + encodeURIComponent(id), { headers: headers(false), cache: "no-store" })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
        .then(function (res) {
          if (stopped) return;
          if (!res.ok) { invocation.setResult(res.data && res.data.error ? res.data.error.message : "unknown job"); again(3000); return; }
          invocation.setResult(describeJob(res.data));
          var finished = ["done", "failed", "cancelled", "interrupted"].indexOf(res.data.status) >= 0;
          if (finished && jobId) { stopped = true; return; }
          again(finished ? 2000 : 500);
        }, function () { if (!stopped) { invocation.setResult("GridFlow server not reachable"); again(3000); } });
    }
    tick();
  }

  var GridFlowFunctions = {
    version: "__VERSION__",
    call: call,
    token: token,
    progress: progress,
    flush: flush,
    serverBase: serverBase,
    headers: headers,
    lastJob: lastJob,
    documentName: documentName,
    describeJob: describeJob,
    excelError: excelError
  };
  root.GridFlowFunctions = GridFlowFunctions;
})(typeof self !== "undefined" ? self : this);
