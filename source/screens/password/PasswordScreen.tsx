import { Box, Text } from 'ink';
import { useRef, useState } from 'react';
import { KeyHints } from '../KeyHints.js';
import { TextField } from '../text-field/TextField.js';
import { editText, textEditFor } from '../text-field/text-field-state.js';
import useKeys from '../use-keys.js';

/**
 * The login password, typed once before the run: masked, held in this component and handed to
 * `onSubmit`, never saved. Enter with nothing typed means none (keys only).
 */
export function PasswordScreen({
  user,
  isActive,
  onSubmit,
}: {
  user: string;
  isActive: boolean;
  onSubmit: (password: string | undefined) => void;
}) {
  const [draft, setDraft] = useState({ value: '', cursor: 0 });
  // A pasted password and its Enter arrive in one burst, before any render: read the ref.
  const latest = useRef(draft);
  const submitted = useRef(false);
  useKeys(
    (input, key) => {
      if (key.ctrl || submitted.current) return; // Ctrl+C is the root's
      if (key.return) {
        submitted.current = true;
        onSubmit(latest.current.value === '' ? undefined : latest.current.value);
        return;
      }
      const edit = textEditFor(input, key);
      if (edit) {
        latest.current = editText(latest.current, edit);
        setDraft(latest.current);
      }
    },
    { isActive },
  );
  return (
    <Box flexDirection="column">
      <Text bold>{`Password of ${user} on the Pis`}</Text>
      <Text>
        For SSH and sudo. It is not shown, not saved and not logged; Enter with nothing typed if the
        Pis take your key and sudo asks for no password.
      </Text>
      <Box marginTop={1}>
        <Text>Password: </Text>
        <TextField
          value={'•'.repeat(draft.value.length)}
          cursor={draft.cursor}
          focused={isActive}
        />
      </Box>
      <KeyHints hints={[['Enter', 'start the run']]} />
    </Box>
  );
}
