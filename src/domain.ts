/** The shapes every module agrees on; they are defined, once, as schemas in src/models. */
export * from './models'
