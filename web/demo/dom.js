// DOM helpers: query, build elements (text is never HTML), and patch a list of rows
// in place. Nothing here knows about chats.

export const $ = (selector) => /** @type {HTMLElement} */ (document.querySelector(selector));

/** A DOM element: h("div", {class: "x", onclick}, child, "text", ...). Text is never HTML. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function svg(path) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  el.setAttribute("viewBox", "0 0 24 24");
  el.setAttribute("aria-hidden", "true");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", path);
  el.append(p);
  return el;
}

/**
 * Bring `container`'s children in line with `items` ({key, sig, build}), rebuilding only
 * the ones whose signature changed. Rows under the pointer stay the same nodes, so a
 * click is never lost to a re-render between its mousedown and mouseup.
 */
export function patch(container, items) {
  const wanted = new Set(items.map((item) => item.key));
  const make = (item) => Object.assign(item.build(), { _key: item.key, _sig: item.sig });
  let node = container.firstChild;
  for (const item of items) {
    while (node && !wanted.has(node._key)) {
      const next = node.nextSibling;
      node.remove();
      node = next;
    }
    if (node && node._key === item.key) {
      if (node._sig !== item.sig) {
        const fresh = make(item);
        container.replaceChild(fresh, node);
        node = fresh;
      }
      node = node.nextSibling;
    } else {
      container.insertBefore(make(item), node);
    }
  }
  while (node) {
    const next = node.nextSibling;
    node.remove();
    node = next;
  }
}
