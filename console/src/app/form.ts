import { UnauthorisedError, type ApiAnswer } from './api.ts';
import { refusalErrors, type FieldError } from './model.ts';

/**
 * What every form that asks the directory for a change does with the answer: the caller's success
 * when the status is the one it expects; otherwise the directory's errors beside their fields, the
 * first field in error taking the focus (so a keyboard or screen-reader user lands on it); a
 * refused token asks for a new one; a directory out of reach says so for the whole form.
 */
export async function sendForm(
  form: HTMLFormElement,
  request: () => Promise<ApiAnswer>,
  handlers: {
    readonly succeeded: number;
    readonly onSuccess: (answer: ApiAnswer) => void;
    readonly setErrors: (errors: FieldError[]) => void;
    readonly setBusy: (busy: boolean) => void;
    readonly onUnauthorised: () => void;
  },
): Promise<void> {
  handlers.setBusy(true);
  try {
    const answer = await request();
    if (answer.status === handlers.succeeded) {
      handlers.onSuccess(answer);
      return;
    }
    handlers.setErrors(refusalErrors(answer));
    requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  } catch (error) {
    if (error instanceof UnauthorisedError) handlers.onUnauthorised();
    else handlers.setErrors([{ field: 'form', message: 'The directory could not be reached.' }]);
  } finally {
    handlers.setBusy(false);
  }
}
