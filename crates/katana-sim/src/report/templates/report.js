// The scenario page's timeline and "unlinked" filter. Plain JavaScript, no fetch:
// the per-step state is embedded in the page (<script type="application/json">).
(function () {
  "use strict";
  var states = JSON.parse(document.getElementById("states").textContent);
  var sections = document.querySelectorAll('[data-testid="state"]');
  var buttons = document.querySelectorAll('[data-testid="timeline-step"]');

  // Shows the state right after `step` and marks its button.
  function choose(step) {
    var s = String(step);
    sections.forEach(function (section) { section.hidden = section.dataset.step !== s; });
    buttons.forEach(function (b) {
      if (b.dataset.step === s) { b.setAttribute("aria-current", "step"); }
      else { b.removeAttribute("aria-current"); }
    });
    document.body.dataset.step = s;
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function () { choose(b.dataset.step); });
  });

  var toggle = document.getElementById("unlinked-toggle");
  function filter() { document.body.classList.toggle("unlinked-only", toggle.checked); }
  toggle.addEventListener("change", filter);
  filter();

  // The last step is chosen at load.
  if (states.length > 0) { choose(states[states.length - 1].trace.step); }
})();
