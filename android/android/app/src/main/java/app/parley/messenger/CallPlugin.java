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
 * ParleyCall: what a call needs from Android (web/src/ui-thread/native.ts callStarted/callEnded).
 *
 * - The screen stays on (FLAG_KEEP_SCREEN_ON) while a call is active.
 * - Audio is in MODE_IN_COMMUNICATION (echo cancellation, call volume). A connected headset
 *   (Bluetooth, USB or wired) takes the call; without one, voice calls use the earpiece and video
 *   calls the speaker. Android 12+ routes with setCommunicationDevice; older versions need the
 *   Bluetooth SCO link started by hand (a Bluetooth headset otherwise gets no call audio).
 * - callEnded (or the activity going away) restores the previous mode and routing.
 */
@CapacitorPlugin(name = "ParleyCall")
public class CallPlugin extends Plugin {

    private boolean active = false;
    private int previousMode = AudioManager.MODE_NORMAL;
    private boolean previousSpeaker = false;
    private boolean startedSco = false;

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
        route(audio, video);
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
        stopSco(audio);
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

    /** A headset if one is connected, else the speaker for video and the earpiece for voice. */
    private void route(AudioManager audio, boolean video) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            AudioDeviceInfo headset = null;
            for (AudioDeviceInfo d : audio.getAvailableCommunicationDevices()) {
                if (isHeadset(d.getType()) && (headset == null || isBluetooth(d.getType()))) headset = d;
            }
            if (headset != null) audio.setCommunicationDevice(headset);
            else setSpeaker(audio, video);
            return;
        }
        boolean bluetooth = false;
        boolean wired = false;
        for (AudioDeviceInfo d : audio.getDevices(AudioManager.GET_DEVICES_OUTPUTS)) {
            if (isBluetooth(d.getType())) bluetooth = true;
            else if (isHeadset(d.getType())) wired = true;
        }
        if (bluetooth && audio.isBluetoothScoAvailableOffCall()) {
            legacySetSpeaker(audio, false);
            startSco(audio);
        } else {
            legacySetSpeaker(audio, video && !wired);
        }
    }

    private static boolean isBluetooth(int type) {
        return type == AudioDeviceInfo.TYPE_BLUETOOTH_SCO || type == AudioDeviceInfo.TYPE_BLE_HEADSET;
    }

    private static boolean isHeadset(int type) {
        switch (type) {
            case AudioDeviceInfo.TYPE_WIRED_HEADSET:
            case AudioDeviceInfo.TYPE_WIRED_HEADPHONES:
            case AudioDeviceInfo.TYPE_USB_HEADSET:
            case AudioDeviceInfo.TYPE_BLUETOOTH_SCO:
            case AudioDeviceInfo.TYPE_BLE_HEADSET:
                return true;
            default:
                return false;
        }
    }

    @SuppressWarnings("deprecation")
    private void startSco(AudioManager audio) {
        if (startedSco) return;
        audio.startBluetoothSco();
        audio.setBluetoothScoOn(true);
        startedSco = true;
    }

    @SuppressWarnings("deprecation")
    private void stopSco(AudioManager audio) {
        if (!startedSco) return;
        audio.setBluetoothScoOn(false);
        audio.stopBluetoothSco();
        startedSco = false;
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
