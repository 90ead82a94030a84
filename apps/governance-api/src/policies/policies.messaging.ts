import { Injectable } from '@nestjs/common';
import { Subjects } from '@juggernaut/contracts';
import { Respond } from '@juggernaut/messaging';
import { PoliciesService } from './policies.service';

/** Answers `juggernaut.policy.get.v1`: the dispatcher and runners fetch the policy at boot. */
@Injectable()
export class PoliciesMessaging {
  constructor(private readonly policies: PoliciesService) {}

  @Respond(Subjects.policyGet)
  current() {
    return this.policies.current();
  }
}
