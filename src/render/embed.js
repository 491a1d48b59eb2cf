/* syndic headlines widget: <script src="…/embed/CATEGORY.js" async></script>
   Optional: data-target="#element-id" renders into that element instead. */
(function () {
  "use strict";
  var source = "@HEADLINES_URL@";
  var script = document.currentScript;
  if (!script) {
    return;
  }
  var container = null;
  var selector = script.getAttribute("data-target");
  if (selector) {
    try {
      container = document.querySelector(selector);
    } catch (error) {
      container = null;
    }
  }
  if (!container) {
    container = document.createElement("div");
    script.parentNode.insertBefore(container, script.nextSibling);
  }
  container.classList.add("syndic-headlines");

  function isWebUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url);
  }

  function render(data) {
    var list = document.createElement("ul");
    if (data.category && typeof data.category.name === "string") {
      list.setAttribute("aria-label", data.category.name);
    }
    (data.items || []).forEach(function (item) {
      var entry = document.createElement("li");
      var link = document.createElement("a");
      if (isWebUrl(item.url)) {
        link.href = item.url;
      }
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = String(item.title);
      entry.appendChild(link);
      list.appendChild(entry);
    });
    container.textContent = "";
    container.appendChild(list);
  }

  fetch(source, { credentials: "omit" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(render)
    .catch(function (error) {
      if (window.console) {
        window.console.warn("syndic headlines: " + error.message);
      }
    });
})();
