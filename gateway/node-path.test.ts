import { describe, expect, it } from 'vitest';
import { pathOf } from './node.ts';

describe('pathOf', () => {
  it.each([
    'http://127.0.0.1:8080/admin/keys',
    'http://127.0.0.1:8080/admin',
    'http://localhost/adminx?x=1',
    'http://h/model/r/converse?a=b#c',
    'http://h/v1/chat/completions#frag',
    'http://h',
    'http://h/',
    'http://h/x/../admin/keys',
    'http://h/%61dmin/keys',
    'http://h/./admin',
    'http://h/admin\\keys',
    'http://h/admin é',
    'http://user@h:1/admin/x',
    'http://[::1]:8080/admin/x?y',
    'http://h?q=/admin/x',
    'http://h#/admin',
    // Not produced by the Node listener (it parses any Host header outside [a-z0-9._-] and port), but the contract holds.
    'http://h\\admin/x',
    'http://h:80\\/x',
    'http://h\t/admin',
    'http://h%2e/admin',
    'http:/\\h/admin',
    'HTTP://h/admin',
    ' http://h/admin',
    'https:///admin/x',
    'http:/admin/x',
    'http:admin/x',
  ])('gives what new URL(%j).pathname gives', (url) => {
    expect(pathOf(url)).toBe(new URL(url).pathname);
  });
});
