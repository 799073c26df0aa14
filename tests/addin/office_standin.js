/* A stand-in for Microsoft's office.js in headless Chromium: just enough of
 * Office, CustomFunctions and Excel for GridFlow's task pane, ribbon commands
 * and custom functions, recording what the add-in does in window.__office. */
(function () {
  "use strict";
  var log = { functions: {}, actions: {}, sheets: {}, calculations: [], created: [], shown: 0, files: 0 };
  window.__office = log;
  var fileBytes = new Uint8Array(0);
  window.__setFile = function (b64) {
    var bin = atob(b64);
    fileBytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) fileBytes[i] = bin.charCodeAt(i);
  };

  function CFError(code, message) { this.code = code; this.message = message; }
  CFError.prototype = Object.create(Error.prototype);
  window.CustomFunctions = {
    associate: function (id, fn) {
      if (log.functions[id]) throw new Error("associated twice: " + id);
      log.functions[id] = fn;
    },
    Error: CFError,
    ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A", divisionByZero: "#DIV/0!", invalidNumber: "#NUM!",
                 nullReference: "#NULL!", invalidName: "#NAME?", invalidReference: "#REF!" }
  };

  var SLICE = 65536;
  window.Office = {
    FileType: { Compressed: "compressed" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    onReady: function (cb) {
      return new Promise(function (resolve) {
        setTimeout(function () { if (cb) cb({ host: "Excel", platform: "PC" }); resolve({ host: "Excel" }); }, 0);
      });
    },
    actions: { associate: function (name, fn) { log.actions[name] = fn; } },
    addin: { showAsTaskpane: function () { log.shown += 1; return Promise.resolve(); } },
    context: {
      document: {
        url: "C:\\Users\\analyst\\Documents\\montecarlo_dcf.xlsx",
        getFileAsync: function (type, options, cb) {
          log.files += 1;
          var size = (options && options.sliceSize) ? Math.min(options.sliceSize, SLICE) : SLICE;
          var count = Math.ceil(fileBytes.length / size);
          var closed = false;
          cb({ status: "succeeded", value: {
            size: fileBytes.length, sliceCount: count,
            getSliceAsync: function (i, cb2) {
              if (closed) { cb2({ status: "failed", error: { message: "closed" } }); return; }
              var part = fileBytes.slice(i * size, (i + 1) * size);
              setTimeout(function () { cb2({ status: "succeeded", value: { data: Array.prototype.slice.call(part), index: i } }); }, 0);
            },
            closeAsync: function (cb3) { closed = true; if (cb3) cb3({ status: "succeeded" }); }
          } });
        }
      }
    }
  };

  function sheetRecord(name) {
    if (!log.sheets[name]) log.sheets[name] = { values: {}, charts: [], cleared: 0, activated: 0 };
    return log.sheets[name];
  }

  function Range(sheetName, address) {
    var rec = sheetRecord(sheetName);
    var obj = { address: sheetName + "!" + (address || "A1"), load: function () { return obj; },
                clear: function () { rec.values = {}; rec.cleared += 1; } };
    Object.defineProperty(obj, "values", {
      get: function () { return rec.values[address]; },
      set: function (v) { rec.values[address] = v; }
    });
    return obj;
  }

  function Sheet(name, exists) {
    var rec = exists ? sheetRecord(name) : null;
    var charts = { items: [], load: function () {
      charts.items = (rec ? rec.charts : []).filter(function (c) { return !c.deleted; });
    }, add: function (type, range, seriesBy) {
      var c = { type: type, range: range.address, seriesBy: seriesBy, title: {}, legend: {}, deleted: false,
                xValues: null, position: null,
                series: { getItemAt: function () { return { setXAxisValues: function (r) { c.xValues = r.address; } }; } },
                setPosition: function (a, b) { c.position = [a, b]; }, delete: function () { c.deleted = true; } };
      sheetRecord(name).charts.push(c);
      return c;
    } };
    return { name: name, isNullObject: !exists, charts: charts,
             getRange: function (a) { return Range(name, a); },
             activate: function () { sheetRecord(name).activated += 1; } };
  }

  function Context() {
    var ctx = this;
    this.workbook = {
      worksheets: {
        getItemOrNullObject: function (n) { return Sheet(n, !!log.sheets[n]); },
        getItem: function (n) { sheetRecord(n); return Sheet(n, true); },
        add: function (n) { sheetRecord(n); return Sheet(n, true); }
      },
      application: { calculate: function (t) { log.calculations.push(t); } },
      getSelectedRange: function () { return Range("CashFlow", "B18"); }
    };
    this.sync = function () { return Promise.resolve(); };
    return ctx;
  }

  window.Excel = {
    CalculationType: { full: "Full", recalculate: "Recalculate" },
    run: function (fn) { return Promise.resolve().then(function () { return fn(new Context()); }); },
    createWorkbook: function (b64) { log.created.push(b64); return Promise.resolve(); }
  };
})();
