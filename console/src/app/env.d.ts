// esbuild bundles a stylesheet imported for its side effect into the build's one CSS file.
declare module '*.css';
