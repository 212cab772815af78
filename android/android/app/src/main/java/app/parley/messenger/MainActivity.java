package app.parley.messenger;

import android.os.Bundle;
import com.getcapacitor.BridgeActivity;

/**
 * The Capacitor activity that hosts the web app (web/dist, copied by `npx cap sync android`).
 *
 * - Registers the app's own plugin, ParleyCall (CallPlugin: screen on and audio routing during
 *   calls), before the bridge starts.
 * - Replaces the WebView's chrome client with ParleyWebChromeClient, which grants camera and
 *   microphone to the app's own origin only, once Android granted the runtime permission.
 * Invite links (manifest intent filters) reach the web app through @capacitor/app `appUrlOpen`;
 * taps on push notifications through @capacitor/push-notifications.
 */
public class MainActivity extends BridgeActivity {

    @Override
    public void onCreate(Bundle savedInstanceState) {
        registerPlugin(CallPlugin.class);
        super.onCreate(savedInstanceState);
        if (bridge != null && bridge.getWebView() != null) {
            bridge.getWebView().setWebChromeClient(new ParleyWebChromeClient(bridge));
        }
    }
}
