// printreg: an interactive 3D view of each print's model on the case page (three.js, vendored).
// Every element with class "mesh-viewer" and a data-model URL (binary glTF, already reduced by
// the server) gets a canvas: drag to turn, wheel to zoom, right-drag to pan. Without WebGL the
// element says so and shows the model's thumbnail instead. data-viewer on the element tells the
// state: "loading", "ready" or "fallback".
// The canvas is in the tab order; focused (by Tab or a click), the arrow keys turn the model,
// + and - zoom, 0 shows it as at first, and the wheel zooms. Unfocused, the wheel and a
// vertical swipe scroll the page: the view never traps someone scrolling past it.
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

const COLOUR = 0xe6d8c3; // bone-like, as the thumbnails
const BACKGROUND = 0xf4f6f8;
const STEP = Math.PI / 24; // one arrow key press turns the model by 7.5 degrees
const ZOOM = 1.15; // one + or - press moves the camera 15 % nearer or farther
const KEYS = "Arrow keys turn the model, + and − zoom, 0 resets the view.";

function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch (error) {
    return false;
  }
}

function message(text) {
  const p = document.createElement("p");
  p.className = "help viewer-message";
  p.textContent = text;
  return p;
}

function fallback(holder, why) {
  holder.dataset.viewer = "fallback";
  const thumbnail = holder.parentElement && holder.parentElement.querySelector("img.mesh-thumbnail");
  const children = [message(why)];
  if (thumbnail) {
    const copy = thumbnail.cloneNode();
    copy.removeAttribute("id");
    copy.classList.add("viewer-thumbnail");
    children.unshift(copy);
  }
  holder.replaceChildren(...children);
}

function frame(camera, controls, object) {
  const box = new THREE.Box3().setFromObject(object);
  const centre = box.getCenter(new THREE.Vector3());
  const size = box.getSize(new THREE.Vector3()).length() || 1;
  object.position.sub(centre);
  // Segmentation software writes patient coordinates: z superior, +y anterior. Look from the
  // front, a little to the side and from above, as the thumbnail does.
  const distance = (size / (2 * Math.tan((camera.fov * Math.PI) / 360))) * 0.8;
  camera.position.set(-0.57 * distance, 0.82 * distance, 0.42 * distance);
  camera.near = size / 1000;
  camera.far = size * 20;
  camera.updateProjectionMatrix();
  controls.target.set(0, 0, 0);
  controls.update();
}

// Turn the camera around the target by azimuth (around the up axis) and elevation, or move it
// nearer by a factor; the same orbit as dragging, so the two never disagree.
function orbit(camera, controls, azimuth, elevation, nearer) {
  const toYUp = new THREE.Quaternion().setFromUnitVectors(camera.up, new THREE.Vector3(0, 1, 0));
  const offset = camera.position.clone().sub(controls.target).applyQuaternion(toYUp);
  const spherical = new THREE.Spherical().setFromVector3(offset);
  spherical.theta += azimuth;
  spherical.phi = Math.min(Math.PI - 0.01, Math.max(0.01, spherical.phi - elevation));
  spherical.radius = Math.min(camera.far / 2, Math.max(camera.near * 2, spherical.radius / nearer));
  offset.setFromSpherical(spherical).applyQuaternion(toYUp.invert());
  camera.position.copy(controls.target).add(offset);
  controls.update();
}

function keyboard(canvas, camera, controls, home) {
  const moves = {
    ArrowLeft: [-STEP, 0, 1], ArrowRight: [STEP, 0, 1], ArrowUp: [0, STEP, 1],
    ArrowDown: [0, -STEP, 1], "+": [0, 0, ZOOM], "=": [0, 0, ZOOM], "-": [0, 0, 1 / ZOOM],
  };
  canvas.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "0" || event.key === "Home") {
      camera.position.copy(home);
      controls.target.set(0, 0, 0);
      controls.update();
    } else if (moves[event.key]) {
      orbit(camera, controls, ...moves[event.key]);
    } else {
      return;
    }
    event.preventDefault(); // the arrow keys would scroll the page
  });
  // The wheel (and a one-finger swipe) belong to the page until the view has the focus.
  const engage = (on) => {
    controls.enableZoom = on;
    canvas.style.touchAction = on ? "none" : "pan-y";
  };
  engage(false);
  canvas.addEventListener("focus", () => engage(true));
  canvas.addEventListener("blur", () => engage(false));
}

function show(holder) {
  if (!webglAvailable()) {
    fallback(holder, "3D view unavailable: this browser has no WebGL. The thumbnail shows the model.");
    return;
  }
  holder.dataset.viewer = "loading";
  const width = Math.max(holder.clientWidth, 320);
  const height = Math.round(width * 0.66);
  let renderer;
  try {
    // preserveDrawingBuffer: the picture stays readable (a screenshot, a test) between frames.
    renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (error) {
    fallback(holder, "3D view unavailable: WebGL could not start. The thumbnail shows the model.");
    return;
  }
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(width, height);
  renderer.setClearColor(BACKGROUND);
  const canvas = renderer.domElement;
  canvas.id = holder.id + "-canvas";
  canvas.tabIndex = 0;
  canvas.setAttribute("role", "application");
  canvas.setAttribute("aria-roledescription", "3D model view");
  canvas.setAttribute("aria-label", (holder.dataset.label || "Model") + ". " + KEYS);

  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(35, width / height, 0.1, 10000);
  camera.up.set(0, 0, 1);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f96, 1.6));
  const key = new THREE.DirectionalLight(0xffffff, 1.4);
  key.position.set(-1, 2, 2);
  camera.add(key);
  scene.add(camera);
  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = false;
  const render = () => renderer.render(scene, camera);
  controls.addEventListener("change", render);

  new GLTFLoader().load(
    holder.dataset.model,
    (gltf) => {
      const model = gltf.scene;
      const material = new THREE.MeshStandardMaterial({
        color: COLOUR, roughness: 0.65, metalness: 0, side: THREE.DoubleSide,
      });
      model.traverse((part) => {
        if (part.isMesh) {
          if (!part.geometry.getAttribute("normal")) part.geometry.computeVertexNormals();
          part.material = material;
        }
      });
      scene.add(model);
      frame(camera, controls, model);
      keyboard(canvas, camera, controls, camera.position.clone());
      const help = message("Click the view or Tab to it, then drag or use the keys. " + KEYS);
      help.classList.add("viewer-keys");
      holder.replaceChildren(canvas, help);
      render();
      holder.dataset.viewer = "ready";
    },
    undefined,
    () => fallback(holder, "The 3D model could not be loaded. The thumbnail shows the model."),
  );
}

function start() {
  document.querySelectorAll(".mesh-viewer[data-model]").forEach(show);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
