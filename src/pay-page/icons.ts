// State icons as inline SVG: emoji fonts are missing on many phones and servers, and an
// icon plus a heading means no state is told by colour alone.
const svg = (body: string) =>
  `<svg class="icon" viewBox="0 0 24 24" width="56" height="56" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;

export const ICONS = {
  paid: svg('<circle cx="12" cy="12" r="10"/><path d="M7 12.5l3.2 3.2L17 9"/>'),
  expired: svg('<circle cx="12" cy="12" r="10"/><path d="M12 6.5V12l3.5 2.5"/>'),
  cancelled: svg('<circle cx="12" cy="12" r="10"/><path d="M8.5 8.5l7 7M15.5 8.5l-7 7"/>'),
  late: svg('<path d="M10.3 3.9L2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4.5M12 17h.01"/>'),
  unknown: svg('<circle cx="12" cy="12" r="10"/><path d="M9.2 9a3 3 0 0 1 5.6 1.2c0 2-2.8 2.5-2.8 4.3M12 17.5h.01"/>'),
};
