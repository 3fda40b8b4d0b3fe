// Test helper: an exposition without the Worker's own "pdc_" families, whose values change with every push
// and scrape, so tests can compare the users' data byte for byte.

export function withoutSelfMetrics(exposition: string): string {
  return exposition
    .split("\n")
    .filter((line) => !/^(# (HELP|TYPE) )?pdc_/.test(line))
    .join("\n");
}
