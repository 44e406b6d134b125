// Pure: Kubernetes resource quantities ("4", "500m", "16318208Ki", "1.5Gi", "2e3").

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match =
    /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$/.exec(
      text.trim(),
    );
  if (match === null) return undefined;
  const value = Number(match[1]) * (SUFFIX[match[2] as string] as number);
  return Number.isFinite(value) ? value : undefined;
}
