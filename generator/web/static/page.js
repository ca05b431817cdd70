// The page's few scripts: drag and drop, uploads and builds through the JSON API, a build's progress.
// Without them the forms still work (they post and the server redirects back).
"use strict";

function show(el, text) { el.textContent = text; el.hidden = !text; }

async function send(url, body) {
  const headers = { Accept: "application/json" };
  const token = document.querySelector('meta[name="csrf-token"]');  // the bureau's server: its CSRF token
  if (token) headers["X-CSRF-Token"] = token.content;
  const response = await fetch(url, { method: "POST", body, headers });
  let data;
  try { data = await response.json(); } catch (e) { data = { error: "服务器没有正常答复（" + response.status + "），请重试" }; }
  return { ok: response.ok, data };
}

function setUpUpload() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("file"), drop = document.getElementById("drop");
  const status = document.getElementById("upload-status"), error = document.getElementById("upload-error");
  async function upload(file) {
    show(error, "");
    if (file.size > Number(form.dataset.max)) {
      show(error, file.name + "：文件超过 " + form.dataset.maxMb + " MB，不像决算工作簿，未上传。请确认选择的是本单位的决算工作簿（.xlsx、.xlsm、.xls、.ods）");
      return;
    }
    status.textContent = "正在上传并审核 " + file.name + " …";
    const body = new FormData();
    body.append("workbook", file, file.name);
    try {
      const { ok, data } = await send(form.action, body);
      if (ok) { window.location.assign(data.page + "#audit"); return; }
      show(error, data.error);
    } catch (e) {
      show(error, "无法连接本工具的服务（可能已关闭），请重新启动 disclose serve 后刷新本页");
    }
    status.textContent = "";
    input.value = "";
  }
  input.addEventListener("change", () => { if (input.files.length) upload(input.files[0]); });
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });
  // A file dropped beside the box would make the browser open it and leave the page.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
}

function progressText(build) {
  if (build.status === "queued") return "排队中：前面还有 " + (build.place_in_queue - 1) + " 份报告在生成";
  const seconds = Math.round(build.elapsed || 0);
  let text = (build.pdf ? "正在生成报告和 PDF" : "正在生成报告") + "，已用 " + seconds + " 秒";
  if (build.typical_seconds) text += "（通常约 " + Math.max(1, Math.round(build.typical_seconds)) + " 秒）";
  return text + " …";
}

function follow(url) {
  const box = document.getElementById("progress"), bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  box.hidden = false;
  if (!text.textContent) text.textContent = "已提交，正在排队 …";
  for (const button of document.querySelectorAll(".build-form button")) button.disabled = true;
  async function poll() {
    let build;
    try {
      build = await (await fetch(url, { headers: { Accept: "application/json" } })).json();
    } catch (e) {
      text.textContent = "暂时无法连接服务，正在重试 …";
      setTimeout(poll, 2000);
      return;
    }
    if (build.status === "queued" || build.status === "running") {
      if (build.status === "running" && build.typical_seconds) {
        bar.max = 1;
        bar.value = Math.min(0.95, (build.elapsed || 0) / build.typical_seconds);
      } else {
        bar.removeAttribute("value");
      }
      text.textContent = progressText(build);
      // far back in the queue, a look every few seconds is enough (300 units may be waiting)
      setTimeout(poll, build.status === "queued" && build.place_in_queue > 3 ? 3000 : 700);
      return;
    }
    const page = new URL(build.page + "#build", window.location.href);
    if (page.pathname === window.location.pathname) {
      window.location.hash = "build";
      window.location.reload();
    } else {
      window.location.assign(page);
    }
  }
  poll();
}

function setUpBuilds() {
  for (const form of document.querySelectorAll(".build-form")) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const error = document.getElementById("build-error");
      show(error, "");
      try {
        const { ok, data } = await send(form.action, new FormData(form));
        if (ok) follow(data.url); else show(error, data.error);
      } catch (err) {
        show(error, "无法连接本工具的服务（可能已关闭），请重新启动 disclose serve 后刷新本页");
      }
    });
  }
  const pending = document.getElementById("progress");
  if (pending && pending.dataset.url) follow(pending.dataset.url);
}

document.addEventListener("DOMContentLoaded", () => { setUpUpload(); setUpBuilds(); });
