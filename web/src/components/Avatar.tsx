/** A round badge with a contact's initials; its colour is derived from the key (8 classes). */
export interface AvatarProps {
  name: string;
  seed: string;
  size?: 'small' | 'large';
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[words.length - 1]![0]] : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase() || '?';
}

export function Avatar(props: AvatarProps) {
  const tone = () => (parseInt(props.seed.slice(0, 2), 16) || 0) % 8;
  return (
    <span class={`avatar tone-${tone()} ${props.size === 'large' ? 'avatar-large' : ''}`} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}
