/** Masks known secrets (the SASL password) in any text before it is logged. */
export function secretScrubber(secrets: string[]): (text: string) => string {
  const present = secrets.filter((s) => s.length > 0);
  return (text) => present.reduce((t, s) => t.split(s).join('[REDACTED]'), text);
}
