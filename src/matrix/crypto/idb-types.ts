/**
 * The few IndexedDB shapes this module touches. The project compiles without the DOM
 * library (it is a server), so fake-indexeddb's DOM-typed exports are seen through these.
 */
export interface IdbEventTargetLike {
  addEventListener(type: string, listener: (event: unknown) => void): void;
}

export interface IdbRequestLike<T = unknown> extends IdbEventTargetLike {
  result: T;
  error: unknown;
  transaction: unknown;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface IdbKeyRangeLike {
  lower: unknown;
  upper: unknown;
  lowerOpen: boolean;
  upperOpen: boolean;
}

export interface IdbIndexLike {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}

export interface IdbStoreLike {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  transaction: IdbTransactionLike;
  indexNames: ArrayLike<string>;
  index(name: string): IdbIndexLike;
  put(value: unknown, key?: unknown): IdbRequestLike;
  delete(query: unknown): IdbRequestLike;
  clear(): IdbRequestLike;
  getAll(): IdbRequestLike<unknown[]>;
  getAllKeys(): IdbRequestLike<unknown[]>;
  createIndex(name: string, keyPath: string | string[], options: { unique: boolean; multiEntry: boolean }): IdbIndexLike;
  deleteIndex(name: string): void;
}

export interface IdbTransactionLike extends IdbEventTargetLike {
  db: IdbDatabaseLike;
  error: unknown;
  objectStore(name: string): IdbStoreLike;
}

export interface IdbDatabaseLike {
  name: string;
  version: number;
  objectStoreNames: ArrayLike<string>;
  transaction(stores: string[], mode: 'readonly' | 'readwrite'): IdbTransactionLike;
  createObjectStore(name: string, options: { keyPath: string | string[] | null; autoIncrement: boolean }): IdbStoreLike;
  deleteObjectStore(name: string): void;
  close(): void;
}

export interface IdbFactoryLike {
  open(name: string, version?: number): IdbRequestLike<IdbDatabaseLike> & {
    onupgradeneeded: ((event: unknown) => void) | null;
  };
}
