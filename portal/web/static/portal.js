// Progressive enhancement only: every page of the portal works without JavaScript.
// Loaded as a module from our own origin, so the Content Security Policy needs no inline script.
import { initAll } from "/static/dist/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
