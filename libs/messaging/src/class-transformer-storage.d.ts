// class-transformer's metadata registry, which its package ships without a declaration at this path:
// the payload-class tests read it to prove a class has no class-transformer decorators.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
