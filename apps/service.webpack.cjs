const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('node:path');

/**
 * The one build of every service: `apps/<name>/src/main.ts` to `dist/apps/<name>/main.js` for Node,
 * with source maps, a package.json of the dependencies it uses (the image installs only those) and
 * service.node.env, the Node.js options it is started with.
 * Each service's webpack.config.cjs is `require('../service.webpack.cjs')(__dirname)`.
 */
module.exports = (dir) => ({
  output: { path: join(dir, '../../dist/apps', basename(dir)), clean: true },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: join(dir, 'src/main.ts'),
      tsConfig: join(dir, 'tsconfig.app.json'),
      outputHashing: 'none',
      optimization: false,
      skipTypeChecking: true,
      generatePackageJson: true,
      sourceMap: true,
      // The Node.js options every service runs with (`node --env-file=service.node.env main.js`).
      assets: [{ input: 'apps', glob: 'service.node.env', output: '.' }],
    }),
  ],
});
