import type { AppStore } from '../store/app-store.js';

/** Every screen gets the store and whether it has the keyboard (every active useInput hears every key). */
export interface ScreenProps {
  store: AppStore;
  isActive: boolean;
}
