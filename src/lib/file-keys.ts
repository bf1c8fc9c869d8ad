/** The shape of every storage key the application makes: `<kind>[/YYYY/MM]/<uuid>[.thumb].<ext>`. */
const KEY = /^[a-z]+(\/[0-9]{4}\/[0-9]{2})?\/[0-9a-f-]{36}(\.thumb)?\.(jpg|png|webp|pdf)$/

/** Keys are ours, but /files/{key} takes them from a URL: reject anything not of our shape. */
export function isValidKey(key: string): boolean {
  return KEY.test(key)
}
