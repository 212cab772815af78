package app.parley.messenger;

import android.content.Context;
import android.media.AudioDeviceInfo;
import android.media.AudioManager;
import android.os.Build;
import android.view.WindowManager;
import com.getcapacitor.Plugin;
import com.getcapacitor.PluginCall;
import com.getcapacitor.PluginMethod;
import com.getcapacitor.annotation.CapacitorPlugin;

/**
 * ParleyCall: what a call needs from Android (web/src/services/native.ts callStarted/callEnded).
 *
 * - The screen stays on (FLAG_KEEP_SCREEN_ON) while a call is active.
 * - Audio is in MODE_IN_COMMUNICATION (echo cancellation, call volume). Voice calls use the
 *   earpiece, video calls the speaker, unless a headset (wired, USB or Bluetooth) is connected.
 * - callEnded (or the activity going away) restores the previous mode and routing.
 */
@CapacitorPlugin(name = "ParleyCall")
public class CallPlugin extends Plugin {

    private boolean active = false;
    private int previousMode = AudioManager.MODE_NORMAL;
    private boolean previousSpeaker = false;

    @PluginMethod
    public void callStarted(PluginCall call) {
        boolean video = Boolean.TRUE.equals(call.getBoolean("video", false));
        AudioManager audio = audio();
        if (!active) {
            previousMode = audio.getMode();
            previousSpeaker = isSpeakerOn(audio);
            active = true;
        }
        keepScreenOn(true);
        audio.setMode(AudioManager.MODE_IN_COMMUNICATION);
        setSpeaker(audio, video && !hasHeadset(audio));
        call.resolve();
    }

    @PluginMethod
    public void callEnded(PluginCall call) {
        end();
        call.resolve();
    }

    @Override
    protected void handleOnDestroy() {
        end();
    }

    private void end() {
        keepScreenOn(false);
        if (!active) return;
        active = false;
        AudioManager audio = audio();
        setSpeaker(audio, previousSpeaker);
        audio.setMode(previousMode);
    }

    private AudioManager audio() {
        return (AudioManager) getContext().getSystemService(Context.AUDIO_SERVICE);
    }

    private void keepScreenOn(boolean on) {
        if (getActivity() == null) return;
        getActivity()
            .runOnUiThread(() -> {
                if (on) getActivity().getWindow().addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON);
                else getActivity().getWindow().clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON);
            });
    }

    private static boolean hasHeadset(AudioManager audio) {
        for (AudioDeviceInfo d : audio.getDevices(AudioManager.GET_DEVICES_OUTPUTS)) {
            switch (d.getType()) {
                case AudioDeviceInfo.TYPE_WIRED_HEADSET:
                case AudioDeviceInfo.TYPE_WIRED_HEADPHONES:
                case AudioDeviceInfo.TYPE_USB_HEADSET:
                case AudioDeviceInfo.TYPE_BLUETOOTH_SCO:
                case AudioDeviceInfo.TYPE_BLE_HEADSET:
                    return true;
                default:
                    break;
            }
        }
        return false;
    }

    private static boolean isSpeakerOn(AudioManager audio) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            AudioDeviceInfo d = audio.getCommunicationDevice();
            return d != null && d.getType() == AudioDeviceInfo.TYPE_BUILTIN_SPEAKER;
        }
        return legacySpeakerOn(audio);
    }

    private static void setSpeaker(AudioManager audio, boolean on) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            if (!on) {
                audio.clearCommunicationDevice();
                return;
            }
            for (AudioDeviceInfo d : audio.getAvailableCommunicationDevices()) {
                if (d.getType() == AudioDeviceInfo.TYPE_BUILTIN_SPEAKER) {
                    audio.setCommunicationDevice(d);
                    return;
                }
            }
            return;
        }
        legacySetSpeaker(audio, on);
    }

    @SuppressWarnings("deprecation")
    private static boolean legacySpeakerOn(AudioManager audio) {
        return audio.isSpeakerphoneOn();
    }

    @SuppressWarnings("deprecation")
    private static void legacySetSpeaker(AudioManager audio, boolean on) {
        audio.setSpeakerphoneOn(on);
    }
}
