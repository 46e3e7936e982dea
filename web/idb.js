// A very small promise wrapper around IndexedDB: one database, two stores.
//   outbox  writes waiting to be sent (keyPath "id": the write's client id)
//   kv      small things kept between visits (drafts of notes, starred sessions)
const DB_NAME = "backchannel";
const VERSION = 1;
let opening = null;

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, VERSION);
      request.onupgradeneeded = () => {
        const base = request.result;
        if (!base.objectStoreNames.contains("outbox")) base.createObjectStore("outbox", { keyPath: "id" });
        if (!base.objectStoreNames.contains("kv")) base.createObjectStore("kv", { keyPath: "k" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(store, mode, work) {
  const base = await db();
  return new Promise((resolve, reject) => {
    const tx = base.transaction(store, mode);
    let result;
    Promise.resolve(work(tx.objectStore(store))).then((request) => {
      if (request) request.onsuccess = () => (result = request.result);
    });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const idb = {
  all: (store) => run(store, "readonly", (s) => s.getAll()),
  get: (store, key) => run(store, "readonly", (s) => s.get(key)),
  put: (store, value) => run(store, "readwrite", (s) => s.put(value)),
  delete: (store, key) => run(store, "readwrite", (s) => s.delete(key)),
  clear: (store) => run(store, "readwrite", (s) => s.clear()),
};

export async function kvGet(key, fallback = null) {
  const row = await idb.get("kv", key).catch(() => null);
  return row ? row.v : fallback;
}

export function kvSet(key, value) {
  return idb.put("kv", { k: key, v: value });
}
