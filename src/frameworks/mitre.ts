/**
 * MITRE ATT&CK for Containers: the techniques Palisade's controls map to, each with the
 * tactics it serves (data from the ATT&CK v16 Containers matrix; the few Enterprise
 * techniques used where that matrix has none are marked). A control mapped to a technique
 * counts in the score of every tactic of that technique; the MITRE score is the mean of the
 * per-tactic scores, so a tactic with few controls (e.g. Impact) weighs as much as one with
 * many (Privilege Escalation).
 */

/** A tactic of the Containers matrix, in the matrix's left-to-right order. */
export const MITRE_TACTICS = [
  'Initial Access',
  'Execution',
  'Persistence',
  'Privilege Escalation',
  'Defense Evasion',
  'Credential Access',
  'Discovery',
  'Lateral Movement',
  'Collection',
  'Exfiltration',
  'Impact',
] as const;

/** One tactic name. */
export type MitreTactic = (typeof MITRE_TACTICS)[number];

/** A technique: its name and tactics. */
export interface MitreTechnique {
  name: string;
  tactics: readonly MitreTactic[];
  /** From the Enterprise matrix, not the Containers one. */
  enterprise?: true;
}

/** Every technique a built-in control maps to (tests check the catalogue uses only these). */
export const MITRE_TECHNIQUES: Readonly<Record<string, MitreTechnique>> = {
  T1041: { name: 'Exfiltration Over C2 Channel', tactics: ['Exfiltration'], enterprise: true },
  T1046: { name: 'Network Service Discovery', tactics: ['Discovery'] },
  T1068: { name: 'Exploitation for Privilege Escalation', tactics: ['Privilege Escalation'] },
  T1078: {
    name: 'Valid Accounts',
    tactics: ['Initial Access', 'Persistence', 'Privilege Escalation', 'Defense Evasion'],
  },
  'T1078.001': {
    name: 'Valid Accounts: Default Accounts',
    tactics: ['Initial Access', 'Persistence', 'Privilege Escalation', 'Defense Evasion'],
  },
  T1098: { name: 'Account Manipulation', tactics: ['Persistence', 'Privilege Escalation'] },
  T1110: { name: 'Brute Force', tactics: ['Credential Access'] },
  T1133: { name: 'External Remote Services', tactics: ['Initial Access', 'Persistence'] },
  T1190: { name: 'Exploit Public-Facing Application', tactics: ['Initial Access'] },
  'T1204.003': { name: 'User Execution: Malicious Image', tactics: ['Execution'] },
  T1499: { name: 'Endpoint Denial of Service', tactics: ['Impact'] },
  T1525: { name: 'Implant Internal Image', tactics: ['Persistence'] },
  T1528: { name: 'Steal Application Access Token', tactics: ['Credential Access'] },
  'T1550.001': {
    name: 'Use Alternate Authentication Material: Application Access Token',
    tactics: ['Defense Evasion', 'Lateral Movement'],
  },
  'T1552.001': { name: 'Unsecured Credentials: Credentials In Files', tactics: ['Credential Access'] },
  'T1552.007': { name: 'Unsecured Credentials: Container API', tactics: ['Credential Access'] },
  T1557: { name: 'Adversary-in-the-Middle', tactics: ['Credential Access', 'Collection'], enterprise: true },
  'T1562.001': { name: 'Impair Defenses: Disable or Modify Tools', tactics: ['Defense Evasion'] },
  T1609: { name: 'Container Administration Command', tactics: ['Execution'] },
  T1610: { name: 'Deploy Container', tactics: ['Execution', 'Defense Evasion'] },
  T1611: { name: 'Escape to Host', tactics: ['Privilege Escalation'] },
  T1613: { name: 'Container and Resource Discovery', tactics: ['Discovery'] },
};

/** The tactics of a technique id (empty for an unknown id). */
export function tacticsOfTechnique(id: string): readonly MitreTactic[] {
  return MITRE_TECHNIQUES[id]?.tactics ?? [];
}
