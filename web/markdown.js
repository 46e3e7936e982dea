// A small Markdown renderer that builds DOM nodes (never innerHTML): headings, paragraphs, lists,
// quotes, code blocks, **bold**, *italic*, `code` and [links](https://...) with http(s) and mailto
// only. Enough for summaries and notes; anything else is shown as the text it is.
import { el } from "./ui.js";

function inline(text) {
  const out = [];
  const pattern = /(\*\*[^*]+\*\*|\*[^*\s][^*]*\*|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    const token = match[0];
    if (token.startsWith("**")) out.push(el("strong", { text: token.slice(2, -2) }));
    else if (token.startsWith("`")) out.push(el("code", { text: token.slice(1, -1) }));
    else if (token.startsWith("[")) {
      const [, label, href] = token.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      let safe = null;
      try {
        const url = new URL(href, location.href);
        if (["http:", "https:", "mailto:"].includes(url.protocol)) safe = url.href;
      } catch {
        safe = null;
      }
      out.push(safe ? el("a", { href: safe, rel: "noopener noreferrer nofollow", text: label }) : token);
    } else out.push(el("em", { text: token.slice(1, -1) }));
    last = match.index + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function renderMarkdown(source) {
  const root = el("div", { class: "markdown-body" });
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
    } else if (line.startsWith("```")) {
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].startsWith("```")) code.push(lines[i++]);
      i += 1;
      root.append(el("pre", {}, el("code", { text: code.join("\n") })));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(6, line.match(/^#+/)[0].length + 2); // under the page's h2
      root.append(el(`h${Math.min(level, 6)}`, {}, inline(line.replace(/^#+\s*/, ""))));
      i += 1;
    } else if (/^\s*([-*+]|\d+\.)\s/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const list = el(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*+]|\d+\.)\s/.test(lines[i])) {
        list.append(el("li", {}, inline(lines[i].replace(/^\s*([-*+]|\d+\.)\s+/, ""))));
        i += 1;
      }
      root.append(list);
    } else if (line.startsWith(">")) {
      const quote = [];
      while (i < lines.length && lines[i].startsWith(">")) quote.push(lines[i++].replace(/^>\s?/, ""));
      root.append(el("blockquote", {}, el("p", {}, inline(quote.join(" ")))));
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|```|>|\s*([-*+]|\d+\.)\s)/.test(lines[i])) para.push(lines[i++]);
      root.append(el("p", {}, inline(para.join("\n"))));
    }
  }
  return root;
}
