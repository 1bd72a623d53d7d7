// Found by the extensionless directory import './lib'.
export const fromIndex: string = 'index.ts';
