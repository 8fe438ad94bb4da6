/* printreg: progressive enhancement of the case form (the server stays the source of truth).
 * - hides fields whose applies-when condition is false, and disables their inputs so that
 *   they are not submitted;
 * - adds and removes rows of repeating groups, renumbering them and the row numbers other
 *   rows list for them (inputs with data-refers-to), saying so when a listed row was removed;
 * - warns before leaving a form with unsaved changes (cleared when it is submitted);
 * - asks before a complete case is moved back to draft (the server asks too, without script);
 * - asks before destructive posts (forms with data-confirm); submits facility switchers;
 * - moves focus to a message the server placed where an action was taken;
 * - copies a secret shown once (button[data-copy]). */
(function () {
  "use strict";

  function scalar(v) {
    return typeof v === "boolean" ? (v ? "true" : "false") : String(v);
  }

  function inputsNamed(scope, name) {
    return Array.prototype.filter.call(
      scope.querySelectorAll("input, select, textarea"),
      function (el) { return el.name === name && !el.disabled; }
    );
  }

  function valueOf(els) {
    if (!els.length) return null;
    if (els[0].type === "checkbox") {
      return els.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
    }
    var v = els[0].value.trim();
    return v === "" ? null : v;
  }

  function lookup(form, row, name) {
    if (row) {
      var inRow = inputsNamed(row, row.dataset.group + "-" + row.dataset.row + "-" + name);
      if (inRow.length) return valueOf(inRow);
    }
    return valueOf(inputsNamed(form, name));
  }

  function present(v) {
    return v !== null && !(Array.isArray(v) && v.length === 0);
  }

  function sectionFilled(form, code) {
    var section = form.querySelector('[data-section="' + code + '"]');
    if (!section) return false;
    return Array.prototype.some.call(section.querySelectorAll("input, select, textarea"), function (el) {
      if (el.disabled || el.type === "hidden" || el.closest(".row")) return false;
      if (el.type === "checkbox") return el.checked;
      return el.value.trim() !== "";
    });
  }

  function holds(cond, form, row) {
    if (cond.all) return cond.all.every(function (c) { return holds(c, form, row); });
    if (cond.any) return cond.any.some(function (c) { return holds(c, form, row); });
    if (cond.not) return !holds(cond.not, form, row);
    if (cond.section_filled) return sectionFilled(form, cond.section_filled);
    var v = lookup(form, row, cond.field);
    if (cond.present !== undefined) return present(v) === cond.present;
    if (v === null) return false;
    if (cond.equals !== undefined) return !Array.isArray(v) && v === scalar(cond.equals);
    if (cond["in"]) return !Array.isArray(v) && cond["in"].map(scalar).indexOf(v) >= 0;
    if (cond.contains !== undefined) return Array.isArray(v) && v.indexOf(scalar(cond.contains)) >= 0;
    return true;
  }

  function refresh(form) {
    var wrappers = form.querySelectorAll("[data-applies-when]");
    for (var pass = 0; pass < 4; pass++) {
      var changed = false;
      Array.prototype.forEach.call(wrappers, function (el) {
        var show = holds(JSON.parse(el.dataset.appliesWhen), form, el.closest(".row"));
        if (el.hidden === show) {
          el.hidden = !show;
          changed = true;
          el.querySelectorAll("input, select, textarea, button").forEach(function (input) {
            input.disabled = !show;
          });
        }
      });
      if (!changed) break;
    }
  }

  function renumber(row, group, from, to) {
    var pattern = new RegExp(group + "-" + from + "(?=-|$|\\s)", "g");
    [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (el) {
      Array.prototype.forEach.call(el.attributes, function (attr) {
        if (attr.value.indexOf(group + "-" + from) >= 0) {
          el.setAttribute(attr.name, attr.value.replace(pattern, group + "-" + to));
        }
      });
    });
    row.dataset.row = String(to);
    var legend = row.querySelector("legend");
    var button = row.querySelector(".remove-row");
    [legend, button].forEach(function (el) {
      if (el) el.textContent = el.textContent.replace(/(__n__|\d+)\s*$/, String(to));
    });
  }

  function addRow(form, group) {
    var box = form.querySelector('[data-rows="' + group + '"]');
    var template = document.getElementById("tpl-" + group);
    if (!box || !template) return;
    var rows = box.querySelectorAll(":scope > .row");
    if (rows.length >= Number(box.dataset.maxRows || 100)) return;
    var next = rows.length + 1;
    var row = template.content.firstElementChild.cloneNode(true);
    renumber(row, group, "__n__", next);
    box.appendChild(row);
    refresh(form);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  function rowTitle(input) {
    var row = input.closest(".row");
    var legend = row && row.querySelector("legend");
    var label = input.id && document.querySelector('label[for="' + input.id + '"]');
    var field = label ? label.textContent.replace(/\*/g, "").trim() : input.name;
    return (legend ? legend.textContent.trim() + ": " : "") + field;
  }

  /* Row `removed` of `group` is gone and the rows after it move up by one: rewrite the row
   * numbers that other rows list for this group, and return a note for each list that named
   * the removed row (its number is dropped). */
  function remapReferences(form, group, removed, position) {
    var notes = [];
    form.querySelectorAll('[data-refers-to="' + group + '"]').forEach(function (input) {
      if (input.closest("template") || input.value.trim() === "") return;
      var dropped = false;
      // ';' separates values (the form's old ',' is still read for row numbers)
      var parts = input.value.split(/[;,]/).map(function (p) { return p.trim(); }).filter(Boolean);
      var out = [];
      parts.forEach(function (part) {
        if (/^\d+$/.test(part) && Number(part) === removed) dropped = true;
        else if (/^\d+$/.test(part) && position[part]) out.push(String(position[part]));
        else out.push(part);
      });
      input.value = out.join("; ");
      if (dropped) notes.push(input);
    });
    return notes;
  }

  function removeRow(form, row) {
    var group = row.dataset.group;
    var removed = Number(row.dataset.row);
    var box = row.parentElement;
    var rowName = (row.querySelector("legend").textContent.replace(/\s*\d+\s*$/, "") || "row").toLowerCase();
    row.remove();
    var position = {};
    box.querySelectorAll(":scope > .row").forEach(function (r, i) {
      position[r.dataset.row] = i + 1;
    });
    var touched = remapReferences(form, group, removed, position);
    box.querySelectorAll(":scope > .row").forEach(function (r, i) {
      if (Number(r.dataset.row) !== i + 1) renumber(r, group, r.dataset.row, i + 1);
    });
    var notes = document.getElementById("notes-" + group);
    if (notes) {
      notes.textContent = "";
      touched.forEach(function (input) {
        var p = document.createElement("p");
        p.className = "warning";
        var strong = document.createElement("strong");
        strong.textContent = "Check: ";
        p.appendChild(strong);
        p.appendChild(document.createTextNode(
          rowTitle(input) + " listed " + rowName + " " + removed + ", which was removed: it is " +
          "taken out of the list, and the " + rowName + "s after it are renumbered."));
        notes.appendChild(p);
      });
    }
    refresh(form);
    markDirty(form);
    var add = document.getElementById("add-" + group);
    if (add) add.focus();
  }

  function markDirty(form) { form.dataset.unsaved = "true"; }

  function guardUnsaved(form) {
    // A query's reason box sits beside its field but belongs to its own form (form="qf-…").
    function own(event) { return !event.target.form || event.target.form === form; }
    form.addEventListener("input", function (event) { if (own(event)) markDirty(form); });
    form.addEventListener("change", function (event) { if (own(event)) markDirty(form); });
    form.addEventListener("submit", function () { delete form.dataset.unsaved; });
    window.addEventListener("beforeunload", function (event) {
      if (form.dataset.unsaved !== "true") return;
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to show their own warning
    });
  }

  function confirmToDraft(form) {
    form.querySelectorAll("button[data-confirm-draft]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (window.confirm(button.dataset.confirmDraft)) {
          button.value = "draft-confirmed";  // asked here: the server need not ask again
        } else {
          event.preventDefault();
        }
      });
    });
  }

  function focusMessage() {
    var target = document.querySelector("[data-focus-on-load]");
    if (!target && window.location.hash.length > 1) {
      var named = document.getElementById(window.location.hash.slice(1));
      if (named && named.hasAttribute("tabindex")) target = named;
    }
    if (target) target.focus();
  }

  function enhanceCaseForm(form) {
    refresh(form);
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("input", function () { refresh(form); });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.classList.contains("add-row")) {
        event.preventDefault();
        addRow(form, button.dataset.group);
      } else if (button.classList.contains("remove-row")) {
        event.preventDefault();
        removeRow(form, button.closest(".row"));
      }
    });
    form.addEventListener("submit", function () { refresh(form); });
    guardUnsaved(form);
    confirmToDraft(form);
  }

  /* A "Copy" button beside a secret shown once (the new API token): hidden without JavaScript,
   * where the text is selected by hand; says "Copied" (or how to copy) where the eye is. */
  function enhanceCopy(button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.id + "-done");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      function said(message) { if (status) status.textContent = message; }
      function byHand() {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        said("Selected: press Ctrl+C (or Cmd+C) to copy");
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { said("Copied"); }, byHand);
      } else {
        byHand();
      }
    });
  }

  function start() {
    var caseForm = document.getElementById("case-form");
    if (caseForm) enhanceCaseForm(caseForm);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    document.querySelectorAll("button[data-copy]").forEach(enhanceCopy);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    focusMessage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
