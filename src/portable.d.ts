/** @file AssemblyScript's scalar type names as TypeScript sees them, for assembly/shared/. */
declare type f64 = number;
declare type i32 = number;
declare type u8 = number;
declare type bool = boolean;
