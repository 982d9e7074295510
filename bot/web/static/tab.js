/* "Mit forløb": the tab's little script. Inside Teams it signs in with Teams SSO, follows the
 * Teams theme and loads the personal view with the token; outside Teams (local mode, ?as=EMAIL)
 * it does nothing and the server-rendered page and its forms work as they are. */
(function () {
  "use strict";

  var THEMES = ["default", "dark", "contrast"];
  var FAILED = "Siden kunne ikke hentes. Luk fanen og åbn »Mit forløb« igen.";

  function setTheme(theme) {
    document.documentElement.setAttribute("data-theme", THEMES.indexOf(theme) >= 0 ? theme : "default");
  }

  function appElement() {
    return document.getElementById("app");
  }

  function showMessage(text) {
    var main = appElement();
    if (!main) return;
    var p = document.createElement("p");
    p.className = "tab-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    main.replaceChildren(p);
  }

  function viewUrl() {
    var main = appElement();
    return (main && main.getAttribute("data-view")) || "/tab/view";
  }

  // TeamsJS caches the token and renews it before it expires, so asking before every request is cheap.
  function token() {
    return microsoftTeams.authentication.getAuthToken();
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function show(response) {
    if (response.status === 204) return load(viewUrl());
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.text().then(function (html) {
      var main = appElement();
      if (main) main.innerHTML = html; // our own server's escaped HTML (and CSP runs no inline script in it)
      var focus = main && main.querySelector("[autofocus]");
      if (focus) focus.focus();
    });
  }

  function request(url, options) {
    if (!sameOrigin(url)) return Promise.reject(new Error("cross-origin"));
    return token().then(function (jwt) {
      var headers = Object.assign({}, options.headers || {}, { Authorization: "Bearer " + jwt });
      return fetch(url, Object.assign({}, options, { headers: headers, credentials: "omit", cache: "no-store" }));
    });
  }

  function load(url) {
    return request(url, { method: "GET", headers: { Accept: "text/html" } }).then(show);
  }

  // A plain GET inside Teams (LEAD-konsol's people search, its pages) reloads the frame at /console?…#h-people:
  // the view arrives after the browser looked for the anchor, so look again once it is there (first load only).
  function scrollToHash() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    if (target) target.scrollIntoView();
  }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-action")) return;
    event.preventDefault();
    var target = form.getAttribute("data-action") || form.getAttribute("action") || viewUrl();
    var data = new FormData(form, event.submitter || undefined);
    // a file upload (LEAD-konsol's roster) goes as multipart, the browser setting its boundary; the rest url-encoded
    var multipart = form.enctype === "multipart/form-data";
    var headers = multipart ? { Accept: "text/html" }
      : { Accept: "text/html", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" };
    var buttons = form.querySelectorAll("button, input[type=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    request(target, { method: "POST", headers: headers, body: multipart ? data : new URLSearchParams(data) })
      .then(show)
      .catch(function () { showMessage(FAILED); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  function onClick(event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-view]") : null;
    if (!link) return;
    event.preventDefault();
    load(link.getAttribute("href")).catch(function () { showMessage(FAILED); });
  }

  function startInTeams() {
    microsoftTeams.app
      .initialize()
      .then(function () { return microsoftTeams.app.getContext(); })
      .then(function (context) {
        setTheme(context && context.app ? context.app.theme : "default");
        microsoftTeams.app.registerOnThemeChangeHandler(setTheme);
        document.addEventListener("submit", onSubmit);
        document.addEventListener("click", onClick);
        microsoftTeams.app.notifySuccess();
        return load(viewUrl()).then(scrollToHash);
      })
      .catch(function () { showMessage(FAILED); });
  }

  var inFrame = window.parent !== window;
  if (inFrame && window.microsoftTeams) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startInTeams);
    else startInTeams();
  }
})();
