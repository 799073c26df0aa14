/* GridFlow task pane and ribbon commands (shared runtime with the custom functions).
 *
 * Ribbon buttons (manifest.xml, ExecuteFunction):
 *   gridflowSimulate   send the open workbook to the server (getFileAsync, compressed), start a
 *                      simulation with the outputs chosen here, write 'GridFlow Results'
 *   gridflowResults    write the latest simulation's results again
 *   gridflowStaticCopy open a copy with every random/GridFlow function replaced by its base value
 *   gridflowSolve      send the open workbook, solve its Excel Solver model on the server, write
 *                      'GridFlow Solve' (answer, constraints, sensitivity) and the decision cells' values
 *   gridflowWaterfall  run the waterfall spec set in the task pane, write 'GridFlow Waterfall'
 *
 * Server calls: POST /api/v1/workbooks (multipart), POST /api/v1/jobs, GET /api/v1/jobs/{id},
 * GET /api/v1/addin/results/{id}/sheet, GET /api/v1/addin/jobs/latest,
 * POST /api/v1/addin/commands/static-copy, POST /api/v1/addin/commands/{solve|waterfall}.
 */
(function () {
  "use strict";

  var SLICE = 4 * 1024 * 1024;
  var POLL_MS = 400;
  var G = window.GridFlowFunctions;
  var busy = false;
  var DEFAULT_SPEC = '{"template": "film1", "iterations": 10000, "seed": 1}';

  function $(id) { return document.getElementById(id); }
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function getItem(k, d) { var s = store(); var v = s ? s.getItem("gridflow:" + k) : null; return v === null ? d : v; }
  function setItem(k, v) { var s = store(); if (s) { if (v === null || v === "") s.removeItem("gridflow:" + k); else s.setItem("gridflow:" + k, String(v)); } }

  function status(text, isError) {
    var el = $("status");
    if (el) { el.textContent = text || ""; el.className = isError ? "error" : ""; }
    if (isError && window.console) console.warn("GridFlow: " + text);
  }

  function showProgress(fraction) {
    var p = $("progress");
    if (!p) return;
    if (fraction === null) { p.hidden = true; return; }
    p.hidden = false;
    p.value = Math.max(0, Math.min(1, fraction));
  }

  // --- settings ---------------------------------------------------------------------------------------

  function outputsList() {
    var text = $("outputs") ? $("outputs").value : getItem("outputs", "");
    return text.split(/[\r\n;,]+/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function loadSettings() {
    if (!$("iterations")) return;
    $("iterations").value = getItem("iterations", "10000");
    $("seed").value = getItem("seed", "");
    $("sampling").value = getItem("sampling", "lhs");
    $("outputs").value = getItem("outputs", "");
    $("server").value = getItem("server", "");
    $("token").value = getItem("token", "");
    if ($("solve-sheet")) $("solve-sheet").value = getItem("solveSheet", "");
    if ($("waterfall-kind")) $("waterfall-kind").value = getItem("waterfallKind", "film");
    if ($("waterfall-spec")) $("waterfall-spec").value = getItem("waterfallSpec", DEFAULT_SPEC);
  }

  function saveSettings() {
    if (!$("iterations")) return;
    setItem("iterations", $("iterations").value);
    setItem("seed", $("seed").value);
    setItem("sampling", $("sampling").value);
    setItem("outputs", $("outputs").value);
    if ($("solve-sheet")) setItem("solveSheet", $("solve-sheet").value.trim());
    if ($("waterfall-kind")) setItem("waterfallKind", $("waterfall-kind").value);
    if ($("waterfall-spec")) setItem("waterfallSpec", $("waterfall-spec").value);
  }

  function simulationRequest(workbookId) {
    var body = {
      type: "simulation", workbook_id: workbookId,
      iterations: parseInt(getItem("iterations", "10000"), 10) || 10000,
      sampling: getItem("sampling", "lhs"),
      outputs: outputsList()
    };
    var seed = getItem("seed", "");
    if (seed !== "" && !isNaN(parseInt(seed, 10))) body.seed = parseInt(seed, 10);
    return body;
  }

  // --- HTTP -------------------------------------------------------------------------------------------------

  function api(method, path, body) {
    var opts = { method: method, headers: G.headers(false), cache: "no-store" };
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers = G.headers(true);
      opts.body = JSON.stringify(body);
    }
    return fetch(G.serverBase() + path, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var msg = data && data.error ? data.error.message : ("HTTP " + r.status);
          var err = new Error(msg);
          err.status = r.status;
          throw err;
        }
        return data;
      });
    }, function () {
      throw new Error("the GridFlow server is not reachable at " + (G.serverBase() || "this page's origin") +
        " (start it with 'gridflow serve')");
    });
  }

  // --- the open workbook -----------------------------------------------------------------------------------

  function workbookFileName() {
    var name = G.documentName() || "Workbook.xlsx";
    if (!/\.(xlsx|xlsm)$/i.test(name)) name = name.replace(/\.[^.]*$/, "") + ".xlsx";
    return name;
  }

  function documentBytes() {
    return new Promise(function (resolve, reject) {
      Office.context.document.getFileAsync(Office.FileType.Compressed, { sliceSize: SLICE }, function (res) {
        if (res.status !== Office.AsyncResultStatus.Succeeded) {
          reject(new Error("Excel did not hand over the workbook: " + (res.error && res.error.message)));
          return;
        }
        var file = res.value;
        var count = file.sliceCount;
        var parts = new Array(count);
        var got = 0;
        function done(err) {
          file.closeAsync(function () { });
          if (err) { reject(err); return; }
          var total = parts.reduce(function (n, p) { return n + p.length; }, 0);
          var out = new Uint8Array(total);
          var at = 0;
          parts.forEach(function (p) { out.set(p, at); at += p.length; });
          resolve(out);
        }
        function next(i) {
          file.getSliceAsync(i, function (sr) {
            if (sr.status !== Office.AsyncResultStatus.Succeeded) { done(new Error("reading the workbook failed")); return; }
            parts[i] = sr.value.data instanceof Uint8Array ? sr.value.data : new Uint8Array(sr.value.data);
            got += 1;
            if (got === count) done(null); else next(i + 1);
          });
        }
        if (count === 0) done(null); else next(0);
      });
    });
  }

  function uploadWorkbook() {
    status("Sending the workbook to GridFlow…");
    return documentBytes().then(function (bytes) {
      var name = workbookFileName();
      var type = /\.xlsm$/i.test(name) ? "application/vnd.ms-excel.sheet.macroEnabled.12"
        : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
      var form = new FormData();
      form.append("file", new Blob([bytes], { type: type }), name);
      return api("POST", "/api/v1/workbooks", form);
    });
  }

  // --- results ---------------------------------------------------------------------------------------------

  function rememberJob(jobId) {
    setItem("lastJob", jobId);
    setItem("lastJob:" + workbookFileName(), jobId);
    var doc = G.documentName();
    if (doc) setItem("lastJob:" + doc, jobId);
  }

  function waitForJob(jobId) {
    return new Promise(function (resolve, reject) {
      function poll() {
        api("GET", "/api/v1/jobs/" + encodeURIComponent(jobId)).then(function (job) {
          var p = job.progress || {};
          showProgress(p.fraction || 0);
          status(G.describeJob(job));
          if (["done", "failed", "cancelled", "interrupted"].indexOf(job.status) >= 0) resolve(job);
          else setTimeout(poll, POLL_MS);
        }, reject);
      }
      poll();
    });
  }

  function showSummary(job) {
    var section = $("summary-section");
    if (!section || !job.summary) return;
    var body = section.querySelector("tbody");
    body.innerHTML = "";
    (job.summary.outputs || []).forEach(function (o) {
      var tr = document.createElement("tr");
      [o.name, o.mean, o.P5, o.P95].forEach(function (v, i) {
        var td = document.createElement("td");
        td.textContent = i === 0 ? v : (typeof v === "number" ? v.toPrecision(5) : "");
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    section.hidden = false;
  }

  function writeResults(jobId) {
    status("Writing the results…");
    var sheetName = null;
    return api("GET", "/api/v1/addin/results/" + encodeURIComponent(jobId) + "/sheet").then(function (data) {
      sheetName = data.sheet;
      return Excel.run(function (ctx) {
        var sheets = ctx.workbook.worksheets;
        var sheet = sheets.getItemOrNullObject(data.sheet);
        return ctx.sync().then(function () {
          if (sheet.isNullObject) {
            sheet = sheets.add(data.sheet);
            return null;
          }
          sheet.getRange().clear();
          sheet.charts.load("items");
          return ctx.sync().then(function () {
            sheet.charts.items.forEach(function (c) { c.delete(); });
          });
        }).then(function () {
          sheet.getRange(data.address).values = data.values;
          data.charts.forEach(function (c, i) {
            var chart = sheet.charts.add(c.type, sheet.getRange(c.range), "Columns");
            chart.title.text = c.title;
            chart.legend.visible = false;
            try { chart.series.getItemAt(0).setXAxisValues(sheet.getRange(c.categories)); } catch (e) { /* ExcelApi < 1.7 */ }
            chart.setPosition("L" + (2 + i * 18), "S" + (16 + i * 18));
          });
          // a solved model: its decision cells take the final values ("Keep Solver Solution")
          (data.writes || []).forEach(function (w) {
            sheets.getItem(w.sheet).getRange(w.address).values = [[w.value]];
          });
          sheet.activate();
          // GF.MEAN(...) and friends read the new simulation; formulas follow the solved values
          ctx.workbook.application.calculate(Excel.CalculationType.full);
          return ctx.sync();
        });
      });
    }).then(function () {
      status("Results written to the '" + sheetName + "' sheet.");
    });
  }

  // --- commands ----------------------------------------------------------------------------------------------

  function guarded(fn) {
    return function () {
      if (busy) { status("GridFlow is busy with another command."); return Promise.resolve(); }
      busy = true;
      setButtons(false);
      return Promise.resolve().then(fn).catch(function (err) {
        status((err && err.message) || String(err), true);
      }).then(function () {
        busy = false;
        setButtons(true);
        showProgress(null);
      });
    };
  }

  function setButtons(enabled) {
    ["simulate", "results", "static-copy", "solve", "waterfall"].forEach(function (id) {
      if ($(id)) $(id).disabled = !enabled;
    });
  }

  var simulate = guarded(function () {
    saveSettings();
    return uploadWorkbook().then(function (wb) {
      if (wb.inspection && wb.inspection.problems && wb.inspection.problems.length && !wb.summary.simulation_ready &&
          !outputsList().length) {
        throw new Error(wb.inspection.problems.join("\n"));
      }
      status("Starting the simulation…");
      return api("POST", "/api/v1/jobs", simulationRequest(wb.id));
    }).then(function (job) {
      rememberJob(job.id);
      showProgress(0);
      return waitForJob(job.id);
    }).then(function (job) {
      if (job.status !== "done") throw new Error("The simulation " + job.status +
        (job.error && job.error.message ? ": " + job.error.message : ""));
      showSummary(job);
      return writeResults(job.id);
    });
  });

  var results = guarded(function () {
    var jobId = G.lastJob(workbookFileName());
    var find = jobId ? Promise.resolve(jobId) :
      api("GET", "/api/v1/addin/jobs/latest?status=done&workbook=" + encodeURIComponent(workbookFileName()))
        .then(function (r) { return r.job_id; });
    return find.then(function (id) {
      if (!id) throw new Error("No simulation of this workbook yet: press Simulate.");
      return writeResults(id);
    });
  });

  var staticCopy = guarded(function () {
    return uploadWorkbook().then(function (wb) {
      status("Making the static copy…");
      return api("POST", "/api/v1/addin/commands/static-copy", { workbook_id: wb.id });
    }).then(function (copy) {
      status("Opening " + copy.filename + " (" + copy.replaced + " functions replaced)…");
      return Excel.createWorkbook(copy.content_base64);
    }).then(function () {
      status("Static copy opened in a new workbook.");
    });
  });

  // ribbon commands run without the task pane in view: show it when something went wrong
  function showPaneOnError(fn) {
    return function () {
      return fn().then(function () {
        if ($("status") && $("status").className === "error" && Office.addin && Office.addin.showAsTaskpane) {
          return Office.addin.showAsTaskpane();
        }
        return null;
      });
    };
  }

  function runJob(started, what) {
    rememberJob(started.job_id);
    showProgress(0);
    return waitForJob(started.job_id).then(function (job) {
      if (job.status !== "done") throw new Error("The " + what + " " + job.status +
        (job.error && job.error.message ? ": " + job.error.message : ""));
      return writeResults(job.id).then(function () { return job; });
    });
  }

  var solve = showPaneOnError(guarded(function () {
    saveSettings();
    return uploadWorkbook().then(function (wb) {
      var insp = wb.inspection || {};
      if (!(insp.solver_models && insp.solver_models.length) && insp.gf_decision_model === false) {
        throw new Error("This workbook has no optimization model: set one up with Excel's Solver (Data > Solver) " +
          "or GF.DECISION cells, then press Solve.");
      }
      status("Solving…");
      var body = { workbook_id: wb.id };
      var sheet = getItem("solveSheet", "");
      if (sheet) body.sheet = sheet;
      return api("POST", "/api/v1/addin/commands/solve", body);
    }).then(function (started) {
      return runJob(started, "optimization");
    }).then(function (job) {
      var s = job.summary || {};
      status(s.message ? "Solve: " + s.message + (typeof s.objective === "number" ?
        " Objective " + s.objective.toPrecision(8) + "." : "") : "Solved.");
    });
  }));

  var waterfall = showPaneOnError(guarded(function () {
    saveSettings();
    var spec;
    try { spec = JSON.parse(getItem("waterfallSpec", DEFAULT_SPEC)); } catch (e) {
      throw new Error("The waterfall spec is not JSON: " + e.message);
    }
    status("Running the waterfall…");
    return api("POST", "/api/v1/addin/commands/waterfall", { kind: getItem("waterfallKind", "film"), spec: spec })
      .then(function (started) { return runJob(started, "waterfall"); });
  }));

  function addSelection() {
    return Excel.run(function (ctx) {
      var r = ctx.workbook.getSelectedRange();
      r.load("address");
      return ctx.sync().then(function () {
        var list = outputsList();
        if (list.indexOf(r.address) < 0) list.push(r.address);
        $("outputs").value = list.join("\n");
        saveSettings();
      });
    }).catch(function (err) { status(err.message, true); });
  }

  function checkServer() {
    return api("GET", "/api/v1/addin/status").then(function (s) {
      var el = $("server-state");
      if (el) { el.textContent = "server " + s.version; el.className = "pill ok"; }
    }, function (err) {
      var el = $("server-state");
      if (el) { el.textContent = "server offline"; el.className = "pill down"; }
      status(err.message, true);
    });
  }

  // ribbon: each ExecuteFunction button must call event.completed()
  function ribbon(fn) {
    return function (event) {
      return fn().then(function () { if (event && event.completed) event.completed(); });
    };
  }

  var COMMANDS = {
    gridflowSimulate: ribbon(simulate),
    gridflowResults: ribbon(results),
    gridflowStaticCopy: ribbon(staticCopy),
    gridflowSolve: ribbon(solve),
    gridflowWaterfall: ribbon(waterfall)
  };

  function associateCommands() {
    if (!(window.Office && Office.actions && Office.actions.associate)) return;
    Object.keys(COMMANDS).forEach(function (name) { Office.actions.associate(name, COMMANDS[name]); });
  }

  function bindUi() {
    if (!$("simulate")) return;
    loadSettings();
    $("simulate").onclick = simulate;
    $("results").onclick = results;
    $("static-copy").onclick = staticCopy;
    $("solve").onclick = solve;
    $("waterfall").onclick = waterfall;
    $("add-selection").onclick = addSelection;
    $("clear-outputs").onclick = function () { $("outputs").value = ""; saveSettings(); };
    ["iterations", "seed", "sampling", "outputs", "solve-sheet", "waterfall-kind", "waterfall-spec"].forEach(function (id) {
      if ($(id)) $(id).onchange = saveSettings;
    });
    $("save-server").onclick = function () {
      setItem("server", $("server").value.trim());
      setItem("token", $("token").value.trim());
      checkServer();
    };
    var details = $("explorer").closest("details");
    details.addEventListener("toggle", function () {
      var f = $("explorer");
      if (details.open && !f.getAttribute("src")) f.setAttribute("src", G.serverBase() + f.getAttribute("data-src"));
    });
    checkServer();
  }

  window.GridFlowTaskpane = {
    simulate: simulate, results: results, staticCopy: staticCopy, solve: solve, waterfall: waterfall,
    commands: COMMANDS, simulationRequest: simulationRequest, writeResults: writeResults
  };

  associateCommands();
  if (window.Office && Office.onReady) {
    Office.onReady(function () {
      associateCommands();
      var start = function () { bindUi(); document.body.setAttribute("data-ready", "1"); };
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
      else start();
    });
  }
})();
