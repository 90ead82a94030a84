export * from './policy-follower';
