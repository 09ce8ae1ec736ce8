// Message properties: `key\u0001value\u0002...`. The hot send path only looks up a few keys, so
// lookups scan the string instead of building a Map.

import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, javaStringHashCode, parseProperties as parsePropertiesMap } from '@rmq/remoting';

export { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR };

export const PROP_TAGS = 'TAGS';
export const PROP_KEYS = 'KEYS';
export const PROP_DELAY = 'DELAY';
export const PROP_WAIT = 'WAIT';
export const PROP_REAL_TOPIC = 'REAL_TOPIC';
export const PROP_REAL_QID = 'REAL_QID';
export const PROP_RETRY_TOPIC = 'RETRY_TOPIC';
export const PROP_ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID';
export const PROP_RECONSUME_TIME = 'RECONSUME_TIME';
export const PROP_MAX_RECONSUME_TIMES = 'MAX_RECONSUME_TIMES';
export const PROP_CLUSTER = 'CLUSTER';
export const PROP_TRAN_MSG = 'TRAN_MSG';
export const PROP_PGROUP = 'PGROUP';
export const PROP_UNIQ_KEY = 'UNIQ_KEY';
export const PROP_TRANSACTION_PREPARED_QUEUE_OFFSET = 'TRAN_PREPARED_QUEUE_OFFSET';

/** Value of `key` in a properties string, or undefined. */
export function getProperty(props: string, key: string): string | undefined {
  const needle = key + NAME_VALUE_SEPARATOR;
  let from = 0;
  for (;;) {
    const i = props.indexOf(needle, from);
    if (i < 0) return undefined;
    if (i === 0 || props.charCodeAt(i - 1) === 2) {
      const start = i + needle.length;
      const end = props.indexOf(PROPERTY_SEPARATOR, start);
      return end < 0 ? props.slice(start) : props.slice(start, end);
    }
    from = i + 1;
  }
}

/** The properties string without `key` (and without a trailing separator). */
export function removeProperty(props: string, key: string): string {
  const needle = key + NAME_VALUE_SEPARATOR;
  let from = 0;
  for (;;) {
    const i = props.indexOf(needle, from);
    if (i < 0) return trimTrailing(props);
    if (i === 0 || props.charCodeAt(i - 1) === 2) {
      const end = props.indexOf(PROPERTY_SEPARATOR, i);
      const rest = end < 0 ? '' : props.slice(end + 1);
      return trimTrailing(props.slice(0, i) + rest);
    }
    from = i + 1;
  }
}

function trimTrailing(props: string): string {
  let end = props.length;
  while (end > 0 && props.charCodeAt(end - 1) === 2) end--;
  return end === props.length ? props : props.slice(0, end);
}

/** Sets `key` (replacing any earlier value). */
export function putProperty(props: string, key: string, value: string): string {
  const base = getProperty(props, key) === undefined ? trimTrailing(props) : removeProperty(props, key);
  return base.length === 0 ? key + NAME_VALUE_SEPARATOR + value : base + PROPERTY_SEPARATOR + key + NAME_VALUE_SEPARATOR + value;
}

/** All pairs of a properties string (the shared parser of @rmq/remoting). */
export const parseProperties: (props: string) => Map<string, string> = parsePropertiesMap;

export function stringifyProperties(map: Map<string, string>): string {
  const parts: string[] = [];
  for (const [k, v] of map) parts.push(k + NAME_VALUE_SEPARATOR + v);
  return parts.join(PROPERTY_SEPARATOR);
}

/** java.lang.String#hashCode, the one of @rmq/remoting. */
export const javaHashCode = javaStringHashCode;

/** Apache's tagsString2tagsCode: hash of the TAGS property, 0 when absent or empty. */
export function tagsCodeOf(props: string): number {
  const tags = getProperty(props, PROP_TAGS);
  return tags ? javaHashCode(tags) : 0;
}
