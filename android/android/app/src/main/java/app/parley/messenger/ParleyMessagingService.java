package app.parley.messenger;

import android.Manifest;
import android.app.NotificationChannel;
import android.app.NotificationManager;
import android.app.PendingIntent;
import android.content.Context;
import android.content.Intent;
import android.content.pm.PackageManager;
import android.os.Build;
import android.os.Bundle;
import android.util.Base64;
import androidx.annotation.NonNull;
import androidx.core.app.NotificationCompat;
import androidx.core.app.NotificationManagerCompat;
import androidx.core.content.ContextCompat;
import com.capacitorjs.plugins.pushnotifications.MessagingService;
import com.google.firebase.messaging.RemoteMessage;

/**
 * FCM messages from the Parley notifier are data-only: one key, `p`, the base64url
 * `push_payload` (PUSH_PAYLOAD_SIZE = 32 bytes: byte 0 is the wake reason, 1 message or 2 call,
 * the rest zero). Android shows nothing for a data-only message, and the push plugin only
 * forwards it to a running web app, so this service shows the notification itself: "New message"
 * or "Incoming call", never any content (the push carries none). A tap opens MainActivity with
 * the message's extras, which the push plugin reports as `pushNotificationActionPerformed`.
 * Then the plugin gets the message as usual (`pushNotificationReceived` while the app runs).
 */
public class ParleyMessagingService extends MessagingService {

    // Mirrors of spec/protocol.yaml (Java cannot import the generated TypeScript);
    // android/test checks each against @parley/generated.
    static final String FCM_PAYLOAD_KEY = "p";
    static final int PUSH_PAYLOAD_SIZE = 32;
    static final int REASON_MESSAGE = 1;
    static final int REASON_CALL = 2;
    static final String CHANNEL_MESSAGES = "parley-messages";
    static final String CHANNEL_CALLS = "parley-calls";

    @Override
    public void onMessageReceived(@NonNull RemoteMessage message) {
        int reason = reasonOf(message.getData().get(FCM_PAYLOAD_KEY));
        if (reason != 0) show(this, reason, message.toIntent().getExtras());
        super.onMessageReceived(message);
    }

    /** The wake reason of a push_payload, or 0 if it is not one (wrong size, bad reason, non-zero padding). */
    static int reasonOf(String p) {
        if (p == null) return 0;
        byte[] b;
        try {
            b = Base64.decode(p, Base64.URL_SAFE | Base64.NO_WRAP | Base64.NO_PADDING);
        } catch (IllegalArgumentException e) {
            return 0;
        }
        if (b.length != PUSH_PAYLOAD_SIZE || (b[0] != REASON_MESSAGE && b[0] != REASON_CALL)) return 0;
        for (int i = 1; i < b.length; i++) if (b[i] != 0) return 0;
        return b[0];
    }

    static void show(Context context, int reason, Bundle extras) {
        if (
            Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED
        ) return; // the user did not allow notifications
        NotificationManagerCompat nm = NotificationManagerCompat.from(context);
        boolean call = reason == REASON_CALL;
        String channel = call ? CHANNEL_CALLS : CHANNEL_MESSAGES;
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            NotificationManager m = context.getSystemService(NotificationManager.class);
            m.createNotificationChannel(new NotificationChannel(CHANNEL_MESSAGES, "Messages", NotificationManager.IMPORTANCE_HIGH));
            m.createNotificationChannel(new NotificationChannel(CHANNEL_CALLS, "Calls", NotificationManager.IMPORTANCE_HIGH));
        }
        Intent open = new Intent(context, MainActivity.class);
        open.setFlags(Intent.FLAG_ACTIVITY_NEW_TASK | Intent.FLAG_ACTIVITY_CLEAR_TOP | Intent.FLAG_ACTIVITY_SINGLE_TOP);
        if (extras != null) open.putExtras(extras);
        PendingIntent tap = PendingIntent.getActivity(context, reason, open, PendingIntent.FLAG_UPDATE_CURRENT | PendingIntent.FLAG_IMMUTABLE);
        NotificationCompat.Builder n = new NotificationCompat.Builder(context, channel)
            .setSmallIcon(R.drawable.ic_stat_parley)
            .setContentTitle(call ? "Incoming call" : "New message")
            .setCategory(call ? NotificationCompat.CATEGORY_CALL : NotificationCompat.CATEGORY_MESSAGE)
            .setPriority(NotificationCompat.PRIORITY_HIGH)
            .setVisibility(NotificationCompat.VISIBILITY_PUBLIC) // it says nothing private
            .setAutoCancel(true)
            .setOnlyAlertOnce(!call)
            .setContentIntent(tap);
        try {
            nm.notify(call ? "parley-call" : "parley-message", 1, n.build()); // one per kind: repeated wakes replace it
        } catch (SecurityException e) {
            // the permission was revoked between the check and the post
        }
    }
}
