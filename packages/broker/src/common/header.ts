// Typed access to a request's extFields: defined once in @rmq/remoting (headers/fields.ts), next
// to the typed request/response headers that use it; the broker's processors import it from here.
export { RequestHeaderError, optBool, optInt, optStr, reqInt, reqLong, reqStr } from '@rmq/remoting';
