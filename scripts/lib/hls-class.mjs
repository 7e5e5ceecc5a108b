// The Hls class of the offline hls.js copy (hlsjs/hls.mjs, a bundler chunk of gradio's
// frontend whose exports are minified): fetch-js-players.sh puts this module next to it, and the
// test and benchmark pages import its default export. The gateway's own player.js finds the
// class the same way for any --hls-js-url it is given.
import * as chunk from './hls.mjs';

function findHlsClass(module) {
  const exported = Object.values(module);
  for (const candidate of [module.default].concat(exported)) {
    if (typeof candidate === 'function' && candidate.Events && typeof candidate.isSupported === 'function') {
      return candidate;
    }
  }
  // A helper attach(video, url, callback) returns an Hls instance, whose constructor is the class.
  for (const helper of exported) {
    if (typeof helper !== 'function' || helper.length !== 3) continue;
    try {
      const instance = helper(document.createElement('video'), 'data:,', null);
      if (instance && typeof instance.loadSource === 'function') {
        if (typeof instance.destroy === 'function') instance.destroy();
        return instance.constructor;
      }
    } catch (e) { /* not the helper */ }
  }
  throw new Error('no Hls class exported by hls.mjs');
}

export default findHlsClass(chunk);
