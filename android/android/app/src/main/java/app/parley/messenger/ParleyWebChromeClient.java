package app.parley.messenger;

import android.Manifest;
import android.content.pm.PackageManager;
import android.net.Uri;
import android.webkit.PermissionRequest;
import androidx.core.content.ContextCompat;
import com.getcapacitor.Bridge;
import com.getcapacitor.BridgeWebChromeClient;
import java.util.ArrayList;
import java.util.List;

/**
 * getUserMedia in the WebView: camera and microphone go to the app's own origin (the bundled web
 * app, bridge.getLocalUrl()) and to nothing else, and only with the matching Android runtime
 * permission. When it is held the request is granted at once; otherwise Capacitor's client asks
 * Android for it and grants after the user agreed (or denies).
 */
public class ParleyWebChromeClient extends BridgeWebChromeClient {

    private final Bridge bridge;

    public ParleyWebChromeClient(Bridge bridge) {
        super(bridge);
        this.bridge = bridge;
    }

    @Override
    public void onPermissionRequest(final PermissionRequest request) {
        if (!isOwnOrigin(request.getOrigin())) {
            request.deny();
            return;
        }
        List<String> needed = new ArrayList<>();
        for (String resource : request.getResources()) {
            if (PermissionRequest.RESOURCE_VIDEO_CAPTURE.equals(resource)) {
                needed.add(Manifest.permission.CAMERA);
            } else if (PermissionRequest.RESOURCE_AUDIO_CAPTURE.equals(resource)) {
                needed.add(Manifest.permission.RECORD_AUDIO);
            } else {
                request.deny(); // protected media, MIDI...: not used by Parley
                return;
            }
        }
        for (String permission : needed) {
            if (ContextCompat.checkSelfPermission(bridge.getContext(), permission) != PackageManager.PERMISSION_GRANTED) {
                super.onPermissionRequest(request); // asks Android, then grants or denies
                return;
            }
        }
        request.grant(request.getResources());
    }

    private boolean isOwnOrigin(Uri origin) {
        Uri own = Uri.parse(bridge.getLocalUrl());
        return (
            origin != null &&
            own.getScheme() != null &&
            own.getScheme().equals(origin.getScheme()) &&
            own.getHost() != null &&
            own.getHost().equals(origin.getHost()) &&
            own.getPort() == origin.getPort()
        );
    }
}
