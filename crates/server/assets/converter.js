// The converter page. Every file goes through the public API exactly as a
// script would: get an upload URL, PUT the bytes (with upload progress),
// create the job, poll it, download the result. Signed-in pages add their
// CSRF token, which makes the session's account (not the free tier) the
// owner of the conversion.
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const root = document.getElementById('converter');
const maxBytes = Number(root.dataset.maxBytes);
const planName = root.dataset.plan;
const list = document.getElementById('files');
const input = document.getElementById('file-input');
const drop = document.getElementById('drop');
const catalogueStatus = document.getElementById('catalogue-status');
const convertAll = document.getElementById('convert-all');
const downloadAll = document.getElementById('download-all');
const clearAll = document.getElementById('clear-all');

let formats = new Map(); // id → format
let aliases = new Map(); // extension or alias → format id
let conversions = new Map(); // source id → [conversion]
const items = [];
let pending = [];

function size(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1 << 20) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1 << 20)).toFixed(1)} MB`;
}

function seconds(n) {
  if (n < 90) return `${n} s`;
  if (n < 5400) return `${Math.round(n / 60)} min`;
  return `${Math.round(n / 3600)} h`;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children);
  return node;
}

// ---- the API ----

class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  let message = (body && body.error) || `${response.status} ${response.statusText}`;
  const code = body && body.code;
  if (response.status === 429) {
    const retry = Number(response.headers.get('Retry-After'));
    message += retry > 0 ? `. Try again in ${seconds(retry)}.` : '.';
  } else if (response.status === 413) {
    message += planName === 'free' ? '. Sign up or sign in for a plan with larger files.' : '.';
  } else if (code === 'bad_csrf_token') {
    message = 'Your session changed in another tab: reload this page.';
  }
  return new ApiError(message, response.status, code);
}

async function api(method, path, body, signal) {
  const headers = { 'X-CSRF-Token': csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

/** PUT with upload progress, which fetch cannot report. */
function upload(url, file, contentType, onProgress, item) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    item.request = request;
    request.open('PUT', url);
    request.setRequestHeader('Content-Type', contentType);
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () => {
      item.request = null;
      if (request.status >= 200 && request.status < 300) return resolve();
      let message = `the upload failed (${request.status})`;
      try {
        message = JSON.parse(request.responseText).error || message;
      } catch (e) {
        // An object store's XML error: the status says enough.
      }
      reject(new ApiError(message, request.status));
    });
    request.addEventListener('error', () => reject(new ApiError('the upload was interrupted: check the connection')));
    request.addEventListener('abort', () => reject(new ApiError('cancelled', 0, 'cancelled')));
    request.send(file);
  });
}

// ---- the catalogue ----

async function loadCatalogue() {
  const response = await fetch('/api/formats', { credentials: 'same-origin' });
  if (!response.ok) throw await failure(response);
  const catalogue = await response.json();
  for (const format of catalogue.formats) {
    formats.set(format.id, format);
    aliases.set(format.id, format.id);
    for (const alias of format.aliases || []) aliases.set(alias, format.id);
  }
  for (const conversion of catalogue.conversions) {
    if (!conversions.has(conversion.from)) conversions.set(conversion.from, []);
    conversions.get(conversion.from).push(conversion);
  }
  catalogueStatus.textContent = `${formats.size} formats, ${catalogue.conversions.length} conversions available.`;
}

function sourceFormat(file) {
  const dot = file.name.lastIndexOf('.');
  if (dot >= 0) {
    const id = aliases.get(file.name.slice(dot + 1).toLowerCase());
    if (id) return id;
  }
  const byType = [...formats.values()].find((f) => f.mime === file.type && conversions.has(f.id));
  return byType ? byType.id : null;
}

// ---- options as controls ----

function optionControl(option, id) {
  const label = element('label', { for: id });
  const name = option.name;
  const help = option.help ? ` (${option.help})` : '';
  let control;
  switch (option.type) {
    case 'boolean':
      control = element('input', { type: 'checkbox', id, checked: option.default === 'true' });
      label.append(element('span', { text: name + help }), control);
      return { label, read: () => (control.checked ? true : false), isDefault: () => String(control.checked) === (option.default || 'false') };
    case 'choice':
      control = element('select', { id });
      for (const choice of option.choices) control.append(element('option', { value: choice, selected: choice === option.default, text: choice }));
      break;
    case 'integer': {
      const slider = name === 'quality';
      control = element('input', { type: slider ? 'range' : 'number', id, min: option.min, max: option.max, step: 1, value: option.default || '' });
      if (slider) {
        const shown = element('output', { for: id, text: control.value });
        control.addEventListener('input', () => { shown.textContent = control.value; });
        label.append(element('span', { text: `${name}${help}: ` }), shown, control);
        return { label, read: () => Number(control.value), isDefault: () => control.value === option.default };
      }
      break;
    }
    case 'seconds':
      control = element('input', { type: 'number', id, min: 0, max: option.max, step: 'any', value: option.default || '' });
      break;
    case 'color':
      control = element('input', { type: 'text', id, value: option.default || '', placeholder: '#rrggbb or a name', size: 12 });
      break;
    case 'bitrate':
      control = element('input', { type: 'text', id, value: option.default || '', placeholder: '192k', size: 10 });
      break;
    default:
      control = element('input', { type: 'text', id, value: option.default || '', maxlength: option.maxLength || 200 });
  }
  label.append(element('span', { text: name + help }), control);
  const read = () => (option.type === 'integer' ? Number(control.value) : control.value);
  return { label, read, isDefault: () => control.value === (option.default || '') };
}

// ---- one file ----

let counter = 0;
/** The target first offered, when the source's own family has it. */
const USUAL_TARGETS = ['jpg', 'png', 'mp3', 'mp4', 'pdf', 'xlsx', 'docx', 'srt', 'pptx'];

function addFile(file) {
  counter += 1;
  const id = `file-${counter}`;
  const source = sourceFormat(file);
  const targets = source ? conversions.get(source) || [] : [];
  const item = { id, file, source, state: 'ready', jobId: null, result: null, request: null, controller: null };

  const select = element('select', { id: `${id}-target`, class: 'target' });
  const family = source ? formats.get(source).category : '';
  const groups = new Map([[family, element('optgroup', { label: family })]]);
  for (const conversion of targets) {
    const targetFamily = (formats.get(conversion.to) || {}).category || 'other';
    if (!groups.has(targetFamily)) groups.set(targetFamily, element('optgroup', { label: targetFamily }));
    groups.get(targetFamily).append(element('option', { value: conversion.to, text: conversion.to.toUpperCase() + (conversion.lossy ? ' (lossy)' : '') }));
  }
  for (const group of groups.values()) if (group.children.length) select.append(group);
  const usual = USUAL_TARGETS.find((to) => to !== source && targets.some((c) => c.to === to && (formats.get(to) || {}).category === family));
  if (usual) select.value = usual;
  const options = element('div', { class: 'options' });
  const details = element('details', {}, element('summary', { text: 'Options' }), options);
  const progress = element('progress', { max: 100, value: 0, 'aria-label': `Progress of ${file.name}` });
  const status = element('span', { class: 'status', role: 'status', id: `${id}-status` });
  const convert = element('button', { type: 'button', text: 'Convert' });
  const cancel = element('button', { type: 'button', class: 'secondary', text: 'Cancel', hidden: true });
  const remove = element('button', { type: 'button', class: 'secondary', text: 'Remove', 'aria-label': `Remove ${file.name}` });
  const download = element('a', { class: 'button', hidden: true, text: 'Download' });
  const row = element(
    'li',
    { class: 'file', id },
    element('div', { class: 'head' }, element('span', { class: 'name', text: file.name }), element('span', { class: 'muted', text: `${source ? source.toUpperCase() : 'unknown format'} · ${size(file.size)}` })),
    element('div', { class: 'controls' }, element('label', { for: select.id, text: 'Convert to ' }), select, convert, cancel, download, remove),
    details,
    progress,
    status,
  );
  Object.assign(item, { row, select, options, details, progress, status, convert, cancel, remove, download, controls: [] });

  const showOptions = () => {
    options.replaceChildren();
    item.controls = [];
    const conversion = targets.find((c) => c.to === select.value);
    const specs = conversion ? conversion.options : [];
    details.hidden = specs.length === 0;
    specs.forEach((spec, i) => {
      const control = optionControl(spec, `${id}-option-${i}`);
      item.controls.push({ spec, ...control });
      options.append(control.label);
    });
  };
  select.addEventListener('change', showOptions);
  convert.addEventListener('click', () => run(item));
  cancel.addEventListener('click', () => stop(item));
  remove.addEventListener('click', () => {
    stop(item);
    row.remove();
    items.splice(items.indexOf(item), 1);
    refreshButtons();
  });

  if (!source) {
    fail(item, `${file.name}: this file's format is not recognised from its name; the formats page lists what can be converted.`);
    select.disabled = true;
  } else if (targets.length === 0) {
    fail(item, `Nothing converts from ${source.toUpperCase()} yet.`);
    select.disabled = true;
  } else if (file.size > maxBytes) {
    fail(item, `${file.name} is ${size(file.size)}: the ${planName} plan takes files up to ${root.dataset.maxMb} MB. ${planName === 'free' ? 'Sign up or sign in for a larger plan.' : 'See the plans page for larger ones.'}`);
  } else {
    setStatus(item, 'Ready', 0);
  }
  if (item.state !== 'ready') convert.disabled = true;
  showOptions();
  items.push(item);
  list.append(row);
  refreshButtons();
}

function setStatus(item, text, percent) {
  item.status.textContent = text;
  item.status.classList.remove('error');
  item.status.removeAttribute('role');
  item.status.setAttribute('role', 'status');
  if (percent !== undefined) item.progress.value = percent;
}

function fail(item, message) {
  item.state = 'failed';
  item.status.textContent = message;
  item.status.classList.add('error');
  item.status.setAttribute('role', 'alert');
  refreshButtons();
}

function chosenOptions(item) {
  const chosen = {};
  for (const control of item.controls) {
    if (!control.isDefault()) chosen[control.spec.name] = control.read();
  }
  return chosen;
}

async function run(item) {
  if (item.state === 'running') return;
  item.state = 'running';
  item.controller = new AbortController();
  const { file } = item;
  const target = item.select.value;
  item.convert.disabled = true;
  item.select.disabled = true;
  item.cancel.hidden = false;
  item.download.hidden = true;
  refreshButtons();
  try {
    setStatus(item, 'Asking for an upload URL…', 0);
    const contentType = file.type || (formats.get(item.source) || {}).mime || 'application/octet-stream';
    const slot = await api('POST', '/api/files/get-upload-url', { fileName: file.name, fileSize: file.size, contentType }, item.controller.signal);
    await upload(slot.uploadUrl, file, contentType, (share) => setStatus(item, `Uploading ${Math.round(share * 100)} %`, share * 50), item);
    setStatus(item, 'Starting the conversion…', 50);
    const created = await api('POST', '/api/jobs/create', { fileKey: slot.fileKey, sourceFormat: item.source, targetFormat: target, fileSize: file.size, options: chosenOptions(item) }, item.controller.signal);
    item.jobId = created.jobId;
    let job;
    for (;;) {
      job = await api('GET', `/api/jobs/${encodeURIComponent(item.jobId)}?wait=2`, undefined, item.controller.signal);
      if (job.status === 'completed' || job.status === 'failed') break;
      const waiting = job.status === 'pending' ? 'Waiting for a converter' : `Converting ${job.progress} %`;
      setStatus(item, `${waiting}…`, 50 + job.progress / 2);
    }
    if (job.status === 'failed') throw new ApiError(`The conversion failed: ${job.error}`, 0, job.errorCode);
    item.state = 'done';
    item.result = { url: job.downloadUrl, name: job.fileName };
    item.download.href = job.downloadUrl;
    item.download.setAttribute('download', job.fileName);
    item.download.textContent = `Download ${job.fileName}`;
    item.download.hidden = false;
    const warnings = job.warnings && job.warnings.length ? ` Note: ${job.warnings.join(' ')}` : '';
    setStatus(item, `Done: ${job.fileName}.${warnings}`, 100);
  } catch (error) {
    if (item.state === 'cancelled' || (error && error.name === 'AbortError') || (error && error.code === 'cancelled')) {
      item.state = 'ready';
      setStatus(item, 'Cancelled.', 0);
    } else {
      fail(item, error instanceof ApiError ? error.message : `Something went wrong: ${error}`);
    }
    item.convert.disabled = false;
    item.select.disabled = false;
  } finally {
    item.cancel.hidden = true;
    item.controller = null;
    refreshButtons();
  }
}

function stop(item) {
  if (item.state !== 'running') return;
  item.state = 'cancelled';
  if (item.request) item.request.abort();
  if (item.controller) item.controller.abort();
  if (item.jobId) api('DELETE', `/api/jobs/${encodeURIComponent(item.jobId)}`).catch(() => {});
}

function refreshButtons() {
  convertAll.disabled = !items.some((i) => i.state === 'ready' || (i.state === 'failed' && !i.select.disabled && i.file.size <= maxBytes));
  downloadAll.disabled = items.filter((i) => i.state === 'done').length < 1;
  clearAll.disabled = items.length === 0;
}

// ---- download all: a zip made here, entries stored as they are ----

const crcTable = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i += 1) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function zip(entries) {
  const encoder = new TextEncoder();
  const parts = [];
  const central = [];
  let offset = 0;
  const used = new Set();
  for (const entry of entries) {
    let name = entry.name;
    for (let n = 2; used.has(name); n += 1) name = entry.name.replace(/(\.[^.]*)?$/, ` (${n})$1`);
    used.add(name);
    const nameBytes = encoder.encode(name);
    const crc = crc32(entry.bytes);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, 0x0800, true); // UTF-8 names
    local.setUint32(14, crc, true);
    local.setUint32(18, entry.bytes.length, true);
    local.setUint32(22, entry.bytes.length, true);
    local.setUint16(26, nameBytes.length, true);
    const record = new DataView(new ArrayBuffer(46));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(4, 20, true);
    record.setUint16(6, 20, true);
    record.setUint16(8, 0x0800, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, entry.bytes.length, true);
    record.setUint32(24, entry.bytes.length, true);
    record.setUint16(28, nameBytes.length, true);
    record.setUint32(42, offset, true);
    parts.push(local, nameBytes, entry.bytes);
    central.push(record, nameBytes);
    offset += 30 + nameBytes.length + entry.bytes.length;
  }
  const centralSize = central.reduce((n, p) => n + p.byteLength, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return new Blob([...parts, ...central, end], { type: 'application/zip' });
}

async function downloadEverything() {
  const done = items.filter((i) => i.state === 'done');
  downloadAll.disabled = true;
  const label = downloadAll.textContent;
  try {
    const entries = [];
    for (const [n, item] of done.entries()) {
      downloadAll.textContent = `Fetching ${n + 1} of ${done.length}…`;
      const response = await fetch(item.result.url);
      if (!response.ok) throw new ApiError(`${item.result.name}: the download failed (${response.status}); its link may have expired, convert it again`);
      entries.push({ name: item.result.name, bytes: new Uint8Array(await response.arrayBuffer()) });
    }
    const link = element('a', { href: URL.createObjectURL(zip(entries)), download: 'fileconv.zip' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  } catch (error) {
    catalogueStatus.textContent = error.message;
    catalogueStatus.classList.add('error');
  } finally {
    downloadAll.textContent = label;
    refreshButtons();
  }
}

// ---- wiring ----

function addFiles(files) {
  if (formats.size === 0) {
    pending.push(...files);
    return;
  }
  for (const file of files) addFile(file);
}

input.addEventListener('change', () => {
  addFiles([...input.files]);
  input.value = '';
});
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
}
for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  addFiles([...event.dataTransfer.files]);
});
document.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData ? event.clipboardData.files : [])];
  if (files.length) {
    event.preventDefault();
    addFiles(files);
  }
});
convertAll.addEventListener('click', () => {
  for (const item of items) if (item.state === 'ready' || (item.state === 'failed' && !item.select.disabled && item.file.size <= maxBytes)) run(item);
});
downloadAll.addEventListener('click', downloadEverything);
clearAll.addEventListener('click', () => {
  for (const item of items) stop(item);
  items.length = 0;
  list.replaceChildren();
  refreshButtons();
});

loadCatalogue()
  .then(() => {
    const waiting = pending;
    pending = [];
    addFiles(waiting);
  })
  .catch((error) => {
    catalogueStatus.textContent = `The list of conversions could not be loaded: ${error.message}`;
    catalogueStatus.classList.add('error');
  });
