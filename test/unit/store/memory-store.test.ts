import { KeyvStore } from '../../../src/store/keyv-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('KeyvStore in memory', (caps) => KeyvStore.inMemory(caps));
