// Focus and announcements around htmx swaps (WCAG 2.4.3 focus order, 4.1.3 status messages).
//
// - Focus: when a swap removes the element that had the focus, it goes to the same control in the
//   new content (same id, or the same field of the same form, or the same link), else to the
//   swapped region's heading, else to the region itself (tabindex=-1). A control outside the
//   swapped region (a filter select) simply keeps the focus.
// - Announcements: the new content marks what to say with data-announce (its own value, or its
//   text: "12 garments", "Cart updated"); one polite live region made here says it. Regions that
//   are replaced whole carry no aria-live of their own (a screen reader would read every card, or
//   nothing, since a live region that is swapped out is a new region). Polling swaps (hx-trigger
//   "every") never move the focus nor speak.
// - A form sent without htmx that comes back with errors puts the focus on its first invalid field
//   (aria-invalid, which Django sets, with aria-describedby pointing at the error).
(function () {
  var announcer = null;
  var pending = null;

  function liveRegion() {
    if (announcer && document.body.contains(announcer)) return announcer;
    announcer = document.createElement("div");
    announcer.id = "a11y-status";
    announcer.className = "visually-hidden";
    announcer.setAttribute("role", "status");
    announcer.setAttribute("aria-live", "polite");
    announcer.setAttribute("aria-atomic", "true");
    document.body.appendChild(announcer);
    return announcer;
  }

  function announce(text) {
    var region = liveRegion();
    region.textContent = "";
    // Emptied first, then filled on the next frame: the same words twice are read twice.
    window.setTimeout(function () { region.textContent = text; }, 60);
  }

  // What identifies a control across a re-render: its id, else its form's action plus its own
  // tag, name and value, else a link's address.
  function keyOf(el) {
    if (!el || el === document.body) return null;
    if (el.id) return { id: el.id };
    var form = el.form || (el.closest && el.closest("form"));
    return {
      tag: el.tagName,
      name: el.getAttribute("name"),
      value: el.tagName === "BUTTON" ? el.getAttribute("value") : null,
      action: form ? form.getAttribute("action") : null,
      href: el.getAttribute("href"),
    };
  }

  function find(key, within) {
    if (!key) return null;
    if (key.id) return document.getElementById(key.id);
    var candidates = (within || document).querySelectorAll(key.tag);
    for (var i = 0; i < candidates.length; i++) {
      var el = candidates[i];
      var form = el.form || el.closest("form");
      if (key.href && el.getAttribute("href") !== key.href) continue;
      if (el.getAttribute("name") !== key.name) continue;
      if (key.tag === "BUTTON" && el.getAttribute("value") !== key.value) continue;
      if ((form ? form.getAttribute("action") : null) !== key.action) continue;
      if (el.disabled || el.offsetParent === null) continue;
      return el;
    }
    return null;
  }

  function focusRegion(region) {
    var target = region.querySelector("[data-focus-target], h1, h2, h3") || region;
    if (!target.hasAttribute("tabindex") && !target.matches("a[href], button, input, select, textarea")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: false });
  }

  function isPoll(detail) {
    var trigger = detail.elt && detail.elt.getAttribute && detail.elt.getAttribute("hx-trigger");
    return !!(trigger && /^\s*every\s/.test(trigger));
  }

  // Whether a request comes from a poll is known only when it starts (later events name the
  // target, not the element that asked).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var poll = isPoll(event.detail);
    if (event.detail.xhr) event.detail.xhr.a11yPoll = poll;
    if (target && !poll) target.setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    pending = {
      key: keyOf(active),
      lost: !!(target && active && active !== document.body && target.contains(active)),
      targetId: target && target.id,
      poll: !!(event.detail.xhr && event.detail.xhr.a11yPoll),
      texts: [],
    };
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!pending) return;
    var state = pending;
    var region = event.detail.target;
    if (region && !document.body.contains(region) && state.targetId) region = document.getElementById(state.targetId);
    if (region && region.removeAttribute) region.removeAttribute("aria-busy");
    if (region && region.querySelectorAll && !state.poll) {
      var marks = region.matches("[data-announce]") ? [region] : [];
      marks = marks.concat(Array.prototype.slice.call(region.querySelectorAll("[data-announce]")));
      marks.forEach(function (el) {
        var text = (el.getAttribute("data-announce") || el.textContent || "").replace(/\s+/g, " ").trim();
        if (text && state.texts.indexOf(text) < 0) state.texts.push(text);
      });
    }
    // Settles of one response (the target and any out-of-band parts) come one after another:
    // act once they are all in.
    if (state.scheduled) return;
    state.scheduled = true;
    window.setTimeout(function () {
      if (pending === state) pending = null;
      var active = document.activeElement;
      var focusGone = !active || active === document.body || !document.body.contains(active);
      if (state.lost && focusGone && !state.poll) {
        var again = find(state.key, region && document.body.contains(region) ? region : document);
        if (again) again.focus();
        else if (region && document.body.contains(region)) focusRegion(region);
      } else if (state.lost && focusGone && state.poll) {
        var same = find(state.key, document);
        if (same) same.focus();
      }
      if (state.texts.length) announce(state.texts.join(" "));
    }, 0);
  });

  document.addEventListener("DOMContentLoaded", function () {
    liveRegion();
    var invalid = document.querySelector("main [aria-invalid=true]");
    if (invalid && !document.querySelector("[autofocus]")) invalid.focus();
  });
})();
