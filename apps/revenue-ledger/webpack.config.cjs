module.exports = require('../service.webpack.cjs')(__dirname);
