import { describe, expect, it } from 'vitest';
import { redactedLocation } from './postgres.ts';

// Regression (issue 9 review): every CLI run prints the store it opened, and a password in the
// query string (which pg honours: password, sslpassword, sslkey …) was printed with it.
describe('redactedLocation', () => {
  it('hides the password of the user info', () => {
    expect(redactedLocation('postgres://gate:s3cret@db.example:5432/gatehouse')).toBe('postgres://gate:***@db.example:5432/gatehouse');
  });

  it.each([
    ['postgres://u@h/db?password=s3cret', 'postgres://u@h/db'],
    ['postgres://u@h/db?sslmode=verify-full&sslpassword=s3cret&sslkey=/keys/s3cret.key&sslcert=/c', 'postgres://u@h/db?sslmode=verify-full'],
    ['postgres://u@h/db?PASSWORD=s3cret&pass%77ord=s3cret#s3cret', 'postgres://u@h/db'],
    ['postgres://u@h/db?options=-c%20statement_timeout%3D5%20-c%20my.key%3Ds3cret', 'postgres://u@h/db'],
  ])('drops every query parameter that may carry a secret: %s', (given, shown) => {
    expect(redactedLocation(given)).toBe(shown);
    expect(redactedLocation(given)).not.toContain('s3cret');
  });

  it('keeps, as written, the parameters that say where: host, port, sslmode, application_name, an options that sets search_path only', () => {
    expect(redactedLocation('postgres://u@h/db?options=-c+search_path%3Dtest_cli&password=s3cret')).toBe('postgres://u@h/db?options=-c+search_path%3Dtest_cli');
    expect(redactedLocation('postgres:///db?host=%2Fvar%2Frun%2Fpostgresql&port=5433&application_name=gh')).toBe('postgres:///db?host=%2Fvar%2Frun%2Fpostgresql&port=5433&application_name=gh');
  });

  it('names no part of a connection string it cannot parse', () => {
    expect(redactedLocation('host=db password=s3cret')).toBe('postgres://(unparseable DATABASE_URL)');
  });
});
