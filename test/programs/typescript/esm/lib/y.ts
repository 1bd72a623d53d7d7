// Imported as './lib/y.js' while only y.ts exists.
export enum Colour { Red = 1, Green = 2, Blue = 4 }

export function describe(colour: Colour): string {
  return `${Colour[colour]}=${colour}`;
}
