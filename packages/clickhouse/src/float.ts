/**
 * A Float64 read back from ClickHouse, made exact again where it was written as a short decimal.
 *
 * ClickHouse 18.16 reads decimal text into Float64 with up to one unit in the last place of error
 * (`7.69` is stored as 7.6899999999999995); current ClickHouse reads it exactly. Decimals of at most
 * 15 significant digits lie many units in the last place apart, so rounding to 15 significant
 * digits gives back the value that was written. A value that really had more digits (no sensor
 * measures to 16) moves by less than 5e-15 of itself.
 */
export function exactFloat(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(15)) : value;
}
