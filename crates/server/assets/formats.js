// The formats page: filters the server-rendered tables as the visitor types.
// Without JavaScript the same form filters on the server.
const search = document.getElementById('q');
const family = document.getElementById('family');
const shown = document.getElementById('shown');
const sections = [...document.querySelectorAll('section.source')];

function matches(names, words) {
  const list = names.split(' ');
  return words.some((w) => list.some((n) => n.startsWith(w)));
}

function filter() {
  const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  let count = 0;
  for (const section of sections) {
    const familyOk = !family.value || section.dataset.family === family.value;
    const sourceOk = words.length === 0 || matches(section.dataset.names, words);
    let visible = 0;
    for (const row of section.querySelectorAll('tbody tr')) {
      const show = familyOk && (sourceOk || matches(row.dataset.names, words));
      row.hidden = !show;
      if (show) visible += 1;
    }
    section.hidden = visible === 0;
    count += visible;
  }
  shown.textContent = `${count} conversions shown.`;
}

search.addEventListener('input', filter);
family.addEventListener('change', filter);
