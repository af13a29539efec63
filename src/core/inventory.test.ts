import { describe, expect, it } from 'vitest';
import { Inventory, refOf } from './inventory.js';
import type { KubeObject } from './types.js';

const pod = (ownerReferences: unknown): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'shop', ownerReferences },
  }) as KubeObject;

describe('Inventory owner index', () => {
  it.each<[string, unknown, number]>([
    ['a well-formed owner', [{ kind: 'ReplicaSet', name: 'web' }], 1],
    ['an owner list that is not a list', { kind: 'ReplicaSet', name: 'web' }, 0],
    ['null and non-object entries', [null, 'web', 7], 0],
    ['an entry without a string name', [{ kind: 'ReplicaSet', name: 3 }], 0],
    ['good entries beside bad ones', [null, { kind: 'ReplicaSet', name: 'web' }], 1],
  ])('%s: indexes the object under its valid owners only, without throwing', (_, owners, found) => {
    const inventory = new Inventory();
    const object = pod(owners);
    inventory.add({ object, ref: refOf(object) });
    expect(inventory.size).toBe(1);
    expect(
      inventory.ownedBy({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'web' }),
    ).toHaveLength(found);
  });
});

describe('Inventory.remove', () => {
  it('takes an object out of every index and changes the revision', () => {
    const inventory = new Inventory();
    const object = pod([{ kind: 'ReplicaSet', name: 'web' }]);
    const r = { object, ref: refOf(object) };
    inventory.add(r);
    const revision = inventory.revision;
    expect(inventory.remove(r)).toBe(true);
    expect(inventory.revision).not.toBe(revision);
    expect(inventory.size).toBe(0);
    expect(inventory.byKind('Pod')).toHaveLength(0);
    expect(inventory.inNamespace('shop')).toHaveLength(0);
    expect(inventory.get('Pod', 'shop', 'p')).toBeUndefined();
    expect(inventory.namespaces()).toEqual([]);
    expect(
      inventory.ownedBy({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'web' }),
    ).toHaveLength(0);
    expect(inventory.remove(r)).toBe(false);
  });
});

describe('Inventory.changesSince', () => {
  it('lists the objects added and removed after a revision', () => {
    const inventory = new Inventory();
    const a = { object: pod([]), ref: refOf(pod([])) };
    const b = { object: pod([]), ref: refOf(pod([])) };
    inventory.add(a);
    const at = inventory.revision;
    inventory.remove(a);
    inventory.add(b);
    expect(inventory.changesSince(at)).toEqual({ added: [b], removed: [a] });
    expect(inventory.changesSince(inventory.revision)).toEqual({ added: [], removed: [] });
    // A revision from the future is not one this inventory went through.
    expect(inventory.changesSince(inventory.revision + 1)).toBeUndefined();
  });

  it('answers undefined once its bounded journal no longer reaches back that far', () => {
    const inventory = new Inventory();
    const first = inventory.revision;
    for (let i = 0; i < 3000; i++) {
      const object = pod([]);
      inventory.add({ object, ref: refOf(object) });
    }
    expect(inventory.changesSince(first)).toBeUndefined();
    const recent = inventory.revision - 10;
    expect(inventory.changesSince(recent)?.added).toHaveLength(10);
  });
});
